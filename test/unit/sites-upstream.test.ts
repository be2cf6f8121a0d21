/**
 * Upstream health (src/sites/upstream-health.ts) on its own: what the edge answers the IVR's OPTIONS
 * in each case, the order of the causes, each case switched off on its own, and the headers.
 */
import t from 'tap';
import { holdUpstream, judgeUpstream, upstreamHeaders, type UpstreamHold, type UpstreamVerdict } from '../../src/sites/upstream-health';
import { buildUpstream, UPSTREAM_DEFAULTS } from '../../src/config/upstream';
import type { CarrierState } from '../../src/routing';

const healthy: CarrierState[] = ['active', 'active', 'degraded', 'down', 'drained'];
const calm = { draining: false, localFault: false, carrierStates: healthy };

t.test('200 while calls can be placed, with Allow / Accept / Supported', async (t) => {
  const v = judgeUpstream(UPSTREAM_DEFAULTS, calm);
  t.equal(v.status, 200);
  const h = upstreamHeaders(v);
  t.match(h.Allow, /INVITE/);
  t.match(h.Allow, /OPTIONS/);
  t.equal(h.Accept, 'application/sdp');
  t.match(h.Supported, /100rel/);
  t.notOk('Retry-After' in h);
});

t.test('503 with Retry-After and a Reason naming each cause', async (t) => {
  const draining = judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, draining: true });
  t.match(draining, { status: 503, cause: 'draining', retryAfterS: 30 });
  t.same(upstreamHeaders(draining), { 'Retry-After': '30', Reason: 'SIP;cause=503;text="site draining"' });
  const local = judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, localFault: true });
  t.match(local, { status: 503, cause: 'localFault', retryAfterS: 10 });
  t.match(upstreamHeaders(local).Reason, /local fault suspected/);
  const none = judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, carrierStates: ['down', 'probing', 'drained', 'disabled'] });
  t.match(none, { status: 503, cause: 'noCarrier', retryAfterS: 5 });
  t.match(upstreamHeaders(none).Reason, /no carrier usable/);
  t.match(judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, carrierStates: [] }), { cause: 'noCarrier' });
});

t.test('a degraded carrier is usable; a probing one alone is not', async (t) => {
  t.equal(judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, carrierStates: ['degraded', 'down'] }).status, 200);
  t.equal(judgeUpstream(UPSTREAM_DEFAULTS, { ...calm, carrierStates: ['probing', 'down'] }).status, 503);
});

t.test('causes in order: draining, then local fault, then no carrier', async (t) => {
  const all = { draining: true, localFault: true, carrierStates: ['down'] as CarrierState[] };
  t.equal(judgeUpstream(UPSTREAM_DEFAULTS, all).cause, 'draining');
  t.equal(judgeUpstream(UPSTREAM_DEFAULTS, { ...all, draining: false }).cause, 'localFault');
});

t.test('each case configurable on its own; enabled: false always answers 200', async (t) => {
  const noLocal = buildUpstream({ localFault: { unavailable: false }, noCarrier: { retryAfterS: 60 } });
  t.equal(judgeUpstream(noLocal, { ...calm, localFault: true }).status, 200, 'local fault ignored when switched off');
  t.match(judgeUpstream(noLocal, { ...calm, localFault: true, carrierStates: ['down'] }), { cause: 'noCarrier', retryAfterS: 60 },
    'the next case still applies');
  t.equal(noLocal.draining.retryAfterS, UPSTREAM_DEFAULTS.draining.retryAfterS, 'unset keys keep their defaults');
  const off = buildUpstream({ enabled: false });
  t.equal(judgeUpstream(off, { draining: true, localFault: true, carrierStates: [] }).status, 200);
});

/** The answers the IVR gets when it asks at each of `times` (ms) with the local fault as given: [t, cause or 'ok']. */
function answers(cfg: typeof UPSTREAM_DEFAULTS, faults: ReadonlyArray<readonly [number, boolean]>): Array<[number, string]> {
  let hold: UpstreamHold | undefined;
  return faults.map(([now, localFault]) => {
    const r = holdUpstream(cfg, judgeUpstream(cfg, { ...calm, localFault }), hold, now);
    hold = r.hold;
    return [now, r.verdict.cause ?? 'ok'];
  });
}

t.test('a local fault that comes and goes every few seconds gives one 503, held until clear for holdS', async (t) => {
  t.equal(UPSTREAM_DEFAULTS.localFault.holdS, 15, 'default hold: 15 s (documented in docs/outage-lab.md)');
  // The lab at 5 % loss: the fault up 8 s, clear 5 s, up 1 s, clear 3.5 s, up 5 s, then the loss stops.
  const pattern = (t: number): boolean => (t >= 9 && t < 17) || (t >= 22 && t < 23) || (t >= 26.5 && t < 31.5);
  const asks = Array.from({ length: 60 }, (_, i) => [i * 1000, pattern(i)] as const);
  const got = answers(UPSTREAM_DEFAULTS, asks);
  const changes = got.filter(([, c], i) => i === 0 || c !== got[i - 1]![1]);
  t.same(changes, [[0, 'ok'], [9000, 'localFault'], [46000, 'ok']], 'one change each way: 503 from the first fault to 15 s after the last one seen (31 s)');
  const noHold = buildUpstream({ localFault: { holdS: 0 } });
  t.equal(answers(noHold, asks).filter(([, c], i, a) => i > 0 && c !== a[i - 1]![1]).length, 6, 'holdS: 0 is the old behaviour: 503/200 six times');
});

t.test('the held 503 says how long it is held; a fresh cause and switching the case off end it', async (t) => {
  const cfg = UPSTREAM_DEFAULTS;
  const first = holdUpstream(cfg, judgeUpstream(cfg, { ...calm, localFault: true }), undefined, 1000);
  t.match(first, { verdict: { status: 503, cause: 'localFault' }, hold: { cause: 'localFault', seenAt: 1000 } });
  t.equal((first.verdict as { heldForMs?: number }).heldForMs, undefined, 'a fresh 503 is not "held"');
  const held = holdUpstream(cfg, judgeUpstream(cfg, calm), first.hold, 5000);
  t.match(held.verdict, { status: 503, cause: 'localFault', retryAfterS: 10, text: 'local fault suspected', heldForMs: 11_000 });
  t.same(upstreamHeaders(held.verdict), upstreamHeaders(first.verdict), 'the IVR sees the same 503 while held');
  const draining: UpstreamVerdict = judgeUpstream(cfg, { ...calm, draining: true });
  t.match(holdUpstream(cfg, draining, held.hold, 6000).verdict, { cause: 'draining' }, 'a fresh 503 of another cause is answered as such…');
  t.match(holdUpstream(cfg, judgeUpstream(cfg, calm), held.hold, 7000).verdict, { cause: 'localFault' }, '…and the hold resumes after it');
  t.match(holdUpstream(cfg, judgeUpstream(cfg, calm), held.hold, 16_000), { verdict: { status: 200 }, hold: undefined }, 'clear for 15 s: 200');
  const off = buildUpstream({ localFault: { unavailable: false } });
  t.match(holdUpstream(off, judgeUpstream(off, calm), held.hold, 6000), { verdict: { status: 200 }, hold: undefined }, 'local fault switched off (reload): no hold');
  const disabled = buildUpstream({ enabled: false });
  t.match(holdUpstream(disabled, judgeUpstream(disabled, calm), held.hold, 6000), { verdict: { status: 200 }, hold: undefined }, 'upstream health off: 200');
  const drained = holdUpstream(cfg, draining, undefined, 1000);
  t.equal(drained.hold, undefined, 'draining has no hold: undrain answers 200 at once');
});

t.test('carriers.yaml upstream: is validated and loaded', async (t) => {
  const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { loadConfig } = await import('../../src/config/load');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-upstream-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'routes'));
  writeFileSync(path.join(dir, 'routes', 'r.yaml'), 'routes:\n  - id: d\n    default: true\n    carriers: [{ id: a }]\n');
  const load = (upstream: string) => {
    writeFileSync(path.join(dir, 'c.yaml'), `${upstream}carriers:\n  - id: a\n    uri: sip:127.0.0.1:5071;transport=udp\n    weight: 1\n`);
    return loadConfig({ carriersFile: path.join(dir, 'c.yaml'), routesDir: path.join(dir, 'routes'), env: {} });
  };
  const ok = load('upstream:\n  localFault: { unavailable: false }\n  noCarrier: { holdS: 30 }\n');
  t.ok(ok.ok, ok.ok ? 'loaded' : JSON.stringify(ok.errors));
  if (ok.ok) t.match(ok.config.upstream, { enabled: true, localFault: { unavailable: false, retryAfterS: 10, holdS: 15 }, noCarrier: { holdS: 30 } });
  t.notOk(load('upstream:\n  localFault: { holdS: -1 }\n').ok, 'a negative hold is refused');
  const absent = load('');
  if (absent.ok) t.same(absent.config.upstream, UPSTREAM_DEFAULTS, 'defaults when the section is absent');
  const bad = load('upstream:\n  draining: { retryAfter: 5 }\n');
  t.notOk(bad.ok, 'a misspelt key is refused');
  if (!bad.ok) t.match(bad.errors.map((e) => e.path).join(' '), /upstream\.draining/);
});
