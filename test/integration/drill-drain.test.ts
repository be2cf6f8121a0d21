/**
 * A drill against a running edge: trunkwise over five simulated carriers, SIPp placing 50 calls/s,
 * `POST /drills` "drain carrier-a" (6 s windows: before, drained, restored) with the drill's own test
 * calls in every window. carrier-a's share moves to the others with 0 failed calls, the report says
 * so with numbers (the edge's prom-client counters and the test calls), the carrier is back in
 * service, the drill is listed in GET /drills and counted in the metrics.
 * Then, on the same edge, the early restore: while carrier-a is drained every other carrier starts
 * rejecting — the first failed call makes the drill put carrier-a back at once, and it says so.
 */
import t, { type Test } from 'tap';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { runSipp, killAll, sippErrors } from '../helpers/sipp';
import { startHealthSystem, routeYaml, type HealthSystem } from '../helpers/health-system';
import type { DrillRecord } from '../../src/drills/registry';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
t.teardown(killAll);

// One edge for both drills (the second one last: it leaves carriers b–e sick for a while).
let hs: HealthSystem;
t.before(async () => {
  hs = await startHealthSystem(undefined, { route: routeYaml('direct') });
});
t.teardown(async () => {
  await hs?.stop();
  if (hs) rmSync(path.dirname(hs.tw.carriersFile), { recursive: true, force: true });
});

/** Every carrier active before a drill starts (each asserted). */
async function allActive(t: Test): Promise<void> {
  for (const id of ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']) {
    t.ok(await hs.waitFor(id, (c) => c.health.state === 'active', 20_000), `${id} active before the drill`);
  }
}

t.test('drill "drain carrier-a" under 50 calls/s: its share moves, 0 calls fail, it is restored', async (t) => {
  const tw = hs.tw;
  await allActive(t);
  const calls = runSipp({
    scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001',
    rate: 50, calls: 50 * 23, concurrent: 2000, duration: 500, timeoutMs: 100_000,
  });
  await sleep(2000);
  const states = async (): Promise<string> => JSON.stringify((await hs.carriers()).carriers.map((c) => [c.id, c.health.state, c.health.score]));
  t.comment(`carriers before the drill: ${await states()}`);
  const denied = await tw.admin('POST', '/drills').catch((err: Error) => ({ status: 0, body: `${err.message}: ${JSON.stringify(tw.logs.filter((l) => (l.level ?? 0) >= 50).slice(-3))}` }));
  t.equal(denied.status, 401, `a drill needs the admin token ${denied.status === 401 ? '' : String(denied.body)}`);
  const started = await fetch(`http://127.0.0.1:${tw.httpPort}/drills`, {
    method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: 'drain-carrier', carrier: 'carrier-a', windowS: 6, testCalls: { to: '15550001', perWindow: 4 } }),
  });
  t.equal(started.status, 202);
  const { id } = (await started.json()) as DrillRecord;
  let drill: DrillRecord | undefined;
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
    drill = (await tw.admin('GET', `/drills/${id}`)).body as DrillRecord;
    if (drill.status !== 'running') break;
  }
  t.comment(`carriers after the drill: ${await states()}`);
  const sipp = await calls;
  t.equal(sipp.failed, 0, `SIPp: 0 calls failed (${sipp.successful} succeeded) ${sipp.failed > 0 ? sippErrors(sipp.dir) : ''}`);
  t.ok(sipp.successful >= 1000, `SIPp placed its calls (exit ${sipp.exitCode}) ${sipp.successful < 1000 ? sipp.stderr.slice(-500) : ''}`);
  t.equal(drill?.status, 'passed', drill?.report?.verdict ?? drill?.error ?? 'no report');
  const r = drill!.report!;
  t.comment(drill!.markdown ?? '');
  t.ok(r.before.share['carrier-a']! > 0.1, `carrier-a had its share before (${r.before.share['carrier-a']})`);
  t.equal(r.callsFailed, 0, 'the report: 0 calls failed');
  t.ok(r.movedAfterMs <= 1000, `carrier-a took no new attempt ${r.movedAfterMs} ms after the drain`);
  t.ok((r.after.attempts['carrier-a'] ?? 0) > 0 && r.restoredAfterMs !== undefined, `restored: attempts again ${r.restoredAfterMs} ms after`);
  t.equal(r.restoredEarly, false, 'restored at the end of the drained window, not early');
  t.ok(r.drainedForMs >= 6000, `drained for the whole window (${r.drainedForMs} ms)`);
  // The attempts are the edge's prom-client counters: they add up to the SIPp calls and the drill's own.
  const counted = (w: { attempts: Record<string, number> }): number => Object.values(w.attempts).reduce((a, b) => a + b, 0);
  t.ok(counted(r.before) >= 6 * 50 * 0.8 && counted(r.during) >= 6 * 50 * 0.8, `attempts counted per window: ${counted(r.before)}, ${counted(r.during)}, ${counted(r.after)}`);
  t.equal(r.during.attempts['carrier-a'], 0, 'carrier-a took no attempt while drained');
  for (const w of ['before', 'during', 'after'] as const) {
    t.match(r.testCalls?.[w], { placed: 4, answered: 4, failed: 0 }, `the drill's own test calls ${w}: 4 placed, 4 answered`);
  }
  t.match(drill!.markdown, /The drill's own test calls/);
  t.match(drill!.markdown, /Drill: drain carrier-a — PASSED/);
  t.equal(((await tw.admin('GET', '/carriers/carrier-a')).body as { manual: string }).manual, 'in-service', 'carrier-a back in service');
  t.match((await tw.admin('GET', '/drills')).body, { running: null, drills: [{ id, status: 'passed' }] });
  const metrics = String((await tw.admin('GET', '/metrics')).body);
  t.match(metrics, /trunkwise_drill_runs_total\{scenario="drain-carrier",result="passed"\} 1/);
  t.match(metrics, /trunkwise_drill_calls_failed\{scenario="drain-carrier"\} 0/);
  t.match(metrics, /trunkwise_drill_running 0/);
});

t.test('a drill restores the carrier at once when a call fails while it is drained', async (t) => {
  const tw = hs.tw;
  await allActive(t);
  const calls = runSipp({
    scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001',
    rate: 20, calls: 20 * 11, concurrent: 500, duration: 300, timeoutMs: 60_000,
  });
  await sleep(1000);
  // Through the operator's command: `npm run drill -- drain carrier-a --window 4`.
  const cli = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'drills', 'cli.ts'), 'drain', 'carrier-a', '--window', '4', '--http', `127.0.0.1:${tw.httpPort}`],
    { env: { ...process.env, TRUNKWISE_ADMIN_TOKEN: 'test-token' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  cli.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  const exited = new Promise<number | null>((r) => cli.once('exit', r));
  t.teardown(() => void cli.kill());
  // Once carrier-a is drained, every other carrier rejects: calls fail (a drained carrier is not tried).
  const drainedBy = Date.now() + 10_000;
  while (((await tw.admin('GET', '/carriers/carrier-a')).body as { manual: string }).manual !== 'drained' && Date.now() < drainedBy) await sleep(100);
  const rejectFrom = Date.now();
  for (const c of ['carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']) hs.sim.set(c, { mode: 'reject', rejectCode: 503 });
  // The 30 s limit is cleared once the drill command exits: a pending timer would keep this test
  // process alive for the rest of it (~20 s after the last assertion).
  let limit: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<string>((r) => (limit = setTimeout(() => r('timeout'), 30_000)))]);
  clearTimeout(limit);
  t.equal(code, 1, `npm run drill exits 1 when the drill failed: ${out.slice(-300)}`);
  t.match(out, /Drill: drain carrier-a — FAILED/, 'and prints the report');
  const list = (await tw.admin('GET', '/drills')).body as { drills: DrillRecord[] };
  const drill: DrillRecord | undefined = list.drills.at(-1);
  for (const c of ['carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']) hs.sim.set(c, { mode: 'answer' });
  await calls;
  t.equal(drill?.status, 'failed', `the drill failed: ${drill?.report?.verdict ?? drill?.error}`);
  const r = drill!.report!;
  t.comment(drill!.markdown ?? '');
  t.equal(r.restoredEarly, true, 'carrier-a was restored early');
  t.ok(r.drainedForMs < 4000, `…${r.drainedForMs} ms into the 4 s drain (rejects began ${rejectFrom - Date.parse(drill!.startedAt) - 4000} ms into it)`);
  t.ok(r.callsFailed > 0, `the report counts the failed calls (${r.callsFailed})`);
  t.ok((r.after.attempts['carrier-a'] ?? 0) > 0, `carrier-a took the calls again (${r.after.attempts['carrier-a']} attempts)`);
  t.match(r.verdict, /calls failed \(carrier-a restored early, \d+ ms into the drain\)/);
  t.equal(((await tw.admin('GET', '/carriers/carrier-a')).body as { manual: string }).manual, 'in-service', 'carrier-a back in service');
  const metrics = String((await tw.admin('GET', '/metrics')).body);
  t.match(metrics, /trunkwise_drill_runs_total\{scenario="drain-carrier",result="failed"\} 1/);
  t.match(metrics, /trunkwise_drill_runs_total\{scenario="drain-carrier",result="passed"\} 1/, 'both drills counted');
  t.match(metrics, /trunkwise_drill_running 0/);
});
