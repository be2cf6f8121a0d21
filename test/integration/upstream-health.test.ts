/**
 * Upstream health end to end: a running trunkwise (child process) over three simulated carriers,
 * asked by real SIPp OPTIONS as the IVR platform's dispatcher would: 200 with capabilities while it
 * can place calls; 503 + Retry-After + Reason while the site is drained (admin API), while no carrier
 * is usable (all drained) and while a local fault is suspected (every carrier 300 ms slower at once); 200
 * again when the cause goes away.
 */
import t from 'tap';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { startSimulator } from '../../src/sim';
import { startTrunkwise } from '../helpers/trunkwise-process';
import { runSipp, sippErrors } from '../helpers/sipp';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const IDS = ['carrier-a', 'carrier-b', 'carrier-c'];
const TOKEN = 'test-token';

t.test('OPTIONS from the IVR: 200 while calls can be placed, 503 + Reason otherwise', async (t) => {
  const sim = await startSimulator({ carriers: IDS.map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const })), seed: 3 });
  t.teardown(() => sim.stop());
  // Probe fast and score RTT hard, so "every carrier 300 ms slower at once" is a local fault in seconds.
  const tw = await startTrunkwise({
    carriers: IDS.map((id) => ({ id, port: sim.get(id).port, weight: 10, probe: '{ enabled: true, intervalMs: 500, timeoutMs: 450, burst: 1 }' })),
    routes: { 'r.yaml': `routes:\n  - id: d\n    default: true\n    carriers: [${IDS.map((id) => `{ id: ${id} }`).join(', ')}]\n` },
    // (the helper puts this text under health:; the upstream: block after it is top level)
    health: '  signals:\n    rtt: { good: 100, bad: 200, weight: 0.5 }\nupstream:\n  localFault: { holdS: 3 }',
  });
  t.teardown(() => tw.stop());

  const options = async (expect: 200 | 503): Promise<string> => {
    const r = await runSipp({ scenario: SC(expect === 200 ? 'uac-options-capabilities.xml' : 'uac-options-503.xml'), remote: `127.0.0.1:${tw.sipPort}`, calls: 1, timeoutMs: 10_000, extraArgs: ['-trace_logs'] });
    t.equal(r.successful, 1, `OPTIONS answered ${expect} as expected ${r.successful === 1 ? '' : sippErrors(r.dir)}`);
    const log = readdirSync(r.dir).find((f) => f.endsWith('_logs.log'));
    return log ? readFileSync(path.join(r.dir, log), 'utf8').trim() : '';
  };
  const waitFor = async (pred: () => Promise<boolean>, ms: number): Promise<boolean> => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) if (await pred()) return true;
    return false;
  };
  const states = async (): Promise<{ localFault: boolean; carriers: Array<{ health: { state: string } | null }> }> =>
    (await tw.admin('GET', '/carriers')).body as { localFault: boolean; carriers: Array<{ health: { state: string } | null }> };

  await options(200);

  t.equal((await tw.admin('POST', '/site/drain')).status, 401, 'site drain needs the token (401 without it)');
  t.equal((await tw.admin('POST', '/site/drain', TOKEN)).status, 200);
  t.match(await options(503), /retry-after=30 reason=site draining/);
  t.match((await tw.admin('GET', '/site')).body, { drained: true, drainedBy: 'admin API', upstream: { status: 503, cause: 'draining' } });
  t.equal((await tw.admin('POST', '/site/undrain', TOKEN)).status, 200);
  await options(200);

  for (const id of IDS) await tw.admin('POST', `/carriers/${id}/drain`, TOKEN);
  t.match(await options(503), /retry-after=5 reason=no carrier usable/);
  for (const id of IDS) await tw.admin('POST', `/carriers/${id}/undrain`, TOKEN);
  await options(200);

  for (const id of IDS) sim.set(id, { extraDelayMs: 300 });
  t.ok(await waitFor(async () => (await states()).localFault, 20_000), 'local fault raised when every carrier is slow at once');
  t.match(await options(503), /retry-after=10 reason=local fault suspected/);
  for (const id of IDS) sim.set(id, { extraDelayMs: 0 });
  // GET /site asks for the answer as an OPTIONS would (every 200 ms here), so the hold counts from the last moment the fault was seen.
  const site = async (): Promise<{ upstream: { status: number; heldForMs?: number } }> => (await tw.admin('GET', '/site')).body as { upstream: { status: number; heldForMs?: number } };
  t.ok(await waitFor(async () => (await site()).upstream.heldForMs !== undefined, 30_000), 'local fault cleared: the 503 is held (upstream.localFault.holdS 3)');
  const clearedAt = Date.now();
  t.notOk((await states()).localFault, '…the fault itself is gone');
  t.match(await options(503), /retry-after=10 reason=local fault suspected/, 'the IVR still gets the 503 while held');
  t.ok(await waitFor(async () => (await site()).upstream.status === 200, 10_000), 'then 200');
  const heldMs = Date.now() - clearedAt;
  t.ok(heldMs >= 2500, `held ${heldMs} ms after the fault cleared (holdS 3)`);
  await options(200);

  const changes = tw.logs.filter((l) => l.event === 'upstream').map((l) => l.to);
  t.same(changes, ['draining', 'ok', 'noCarrier', 'ok', 'localFault', 'ok'], 'each change of the answer logged once');
});
