/**
 * Upstream health (src/sites/upstream-health.ts) on its own: what the edge answers the IVR's OPTIONS
 * in each case, the order of the causes, each case switched off on its own, and the headers.
 */
import t from 'tap';
import { judgeUpstream, upstreamHeaders } from '../../src/sites/upstream-health';
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
  const ok = load('upstream:\n  localFault: { unavailable: false }\n');
  t.ok(ok.ok, ok.ok ? 'loaded' : JSON.stringify(ok.errors));
  if (ok.ok) t.match(ok.config.upstream, { enabled: true, localFault: { unavailable: false, retryAfterS: 10 } });
  const absent = load('');
  if (absent.ok) t.same(absent.config.upstream, UPSTREAM_DEFAULTS, 'defaults when the section is absent');
  const bad = load('upstream:\n  draining: { retryAfter: 5 }\n');
  t.notOk(bad.ok, 'a misspelt key is refused');
  if (!bad.ok) t.match(bad.errors.map((e) => e.path).join(' '), /upstream\.draining/);
});
