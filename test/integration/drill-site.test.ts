/**
 * Issue 13, the site drills against running edges (test/helpers/site-pair.ts: site A and site B,
 * each the other's peer, one simulated carrier each), through POST /drills with the drill's own
 * test calls (2 per 2 s window):
 *  - "drain the site": A's OPTIONS answer is 503 (Reason "site draining") for the window — a real
 *    SIPp OPTIONS sees it — then 200 again; every test call answered; the site is undrained.
 *  - "fail the site over to its peer": the test calls placed in the window are answered through
 *    site B (B's CDRs say site-a handed them over), A's own carrier takes none meanwhile and takes
 *    calls again after the restore.
 * Both drills are kept in GET /drills with their reports and counted in trunkwise_drill_*.
 */
import t, { type Test } from 'tap';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startSimulator } from '../../src/sim';
import { startSitePair, cdrList } from '../helpers/site-pair';
import { runSipp, sippErrors } from '../helpers/sipp';
import type { Trunkwise } from '../helpers/trunkwise-process';
import { waitFor } from '../helpers/wait';
import type { DrillRecord } from '../../src/drills/registry';
import type { SiteDrillReport } from '../../src/drills/site-drill';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const WINDOW_S = 2;

async function startDrill(tw: Trunkwise, scenario: string): Promise<{ status: number; drill: DrillRecord }> {
  const r = await fetch(`http://127.0.0.1:${tw.httpPort}/drills`, {
    method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ scenario, windowS: WINDOW_S, testCalls: { to: '15550001', perWindow: 2 } }),
  });
  return { status: r.status, drill: (await r.json()) as DrillRecord };
}

async function finished(tw: Trunkwise, id: number): Promise<DrillRecord> {
  let d: DrillRecord | undefined;
  await waitFor(async () => {
    d = (await tw.admin('GET', `/drills/${id}`)).body as DrillRecord;
    return d.status !== 'running';
  }, 40_000, 300);
  return d!;
}

function testCallsAll(t: Test, r: SiteDrillReport): void {
  for (const w of ['before', 'during', 'after'] as const) t.match(r.testCalls?.[w], { placed: 2, answered: 2, failed: 0 }, `test calls ${w}: 2 placed, 2 answered`);
}

t.test('site drills on a running edge', async (t) => {
  const sim = await startSimulator({ carriers: ['carrier-a1', 'carrier-b1'].map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const })), seed: 14 });
  t.teardown(() => sim.stop());
  const { a, b } = await startSitePair(t, sim);
  const row = async (tw: Trunkwise, id: string): Promise<string | undefined> =>
    ((await tw.admin('GET', '/carriers')).body as { carriers: Array<{ id: string; state: string }> }).carriers.find((c) => c.id === id)?.state;
  t.ok(await waitFor(async () => (await row(a, 'site-b')) === 'active' && (await row(a, 'carrier-a1')) === 'active', 10_000), 'site A: carrier and peer active');

  await t.test('drain the site: OPTIONS 503 for the window, test calls answered, restored', async (t) => {
    const { status, drill } = await startDrill(a, 'drain-site');
    t.equal(status, 202, 'drill accepted');
    t.equal((await startDrill(a, 'failover-site')).status, 409, 'one drill at a time');
    t.ok(await waitFor(async () => ((await a.admin('GET', '/site')).body as { drained: boolean }).drained, 10_000, 100), 'site drained once the first window is over');
    const opt = await runSipp({ scenario: SC('uac-options-503.xml'), remote: `127.0.0.1:${a.sipPort}`, calls: 1, timeoutMs: 10_000 });
    t.equal(opt.successful, 1, `the IVR's OPTIONS get 503 meanwhile ${opt.successful === 1 ? '' : sippErrors(opt.dir)}`);
    const d = await finished(a, drill.id);
    t.equal(d.status, 'passed', d.report?.verdict ?? d.error ?? 'no report');
    const r = d.report as SiteDrillReport;
    t.comment(d.markdown ?? '');
    t.same(r.upstream.during, [503], 'OPTIONS answered 503 at every step of the drained window');
    t.ok(r.upstream.after.includes(200), `and 200 once restored (${r.upstream.after.join(', ')})`);
    t.ok(r.restoredAfterMs !== undefined && r.restoredAfterMs <= 1000, `200 within a second of the restore (${r.restoredAfterMs} ms)`);
    t.ok(r.drainedForMs >= WINDOW_S * 1000, `drained for the whole window (${r.drainedForMs} ms)`);
    t.equal(r.restoredEarly, false);
    t.equal(r.callsFailed, 0, '0 calls failed');
    testCallsAll(t, r);
    t.same(r.ivrCalls, { before: 0, during: 0, after: 0 }, 'no IVR calls besides the drill\'s own');
    t.match((await a.admin('GET', '/site')).body, { drained: false, failover: false, upstream: { status: 200 } }, 'site back in service');
  });

  await t.test('fail the site over to its peer (npm run drill): test calls answered through site B, restored', async (t) => {
    const bBefore = cdrList(b).length;
    // Through the operator's command: `npm run drill -- failover-site --window 2 --test-calls 2 --to 15550001`.
    const cli = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'drills', 'cli.ts'), 'failover-site', '--window', String(WINDOW_S),
      '--test-calls', '2', '--to', '15550001', '--http', `127.0.0.1:${a.httpPort}`], { env: { ...process.env, TRUNKWISE_ADMIN_TOKEN: 'test-token' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (x: Buffer) => void (out += x.toString()));
    cli.stderr.on('data', (x: Buffer) => void (out += x.toString()));
    t.teardown(() => void cli.kill());
    // The 40 s limit is cleared once the command exits: left pending, it kept this test process alive
    // ~32 s after its last test.
    let limit: NodeJS.Timeout | undefined;
    const code = await Promise.race([new Promise<number | null>((r) => cli.once('exit', r)), new Promise<string>((r) => (limit = setTimeout(() => r('timeout'), 40_000)))]);
    clearTimeout(limit);
    t.equal(code, 0, `npm run drill exits 0 when the drill passed: ${out.slice(-400)}`);
    t.match(out, /# Drill: fail the site over to site-b — PASSED/, 'and prints the report');
    const list = (await a.admin('GET', '/drills')).body as { drills: DrillRecord[] };
    const d = await finished(a, list.drills.at(-1)!.id);
    t.equal(d.status, 'passed', d.report?.verdict ?? d.error ?? 'no report');
    const r = d.report as SiteDrillReport;
    t.comment(d.markdown ?? '');
    t.equal(r.carrier, 'site-b');
    t.equal(r.during.attempts['site-b'], 2, 'both test calls of the window went to site B');
    t.equal(r.during.attempts['carrier-a1'], 0, 'carrier-a1 took none meanwhile');
    t.equal(r.before.attempts['site-b'], 0, 'nothing went to the peer before');
    t.equal(r.after.attempts['site-b'], 0, 'nor after');
    t.equal(r.after.attempts['carrier-a1'], 2, 'carrier-a1 took the calls again after the restore');
    t.ok(r.restoredAfterMs !== undefined, `restored: a local attempt ${r.restoredAfterMs} ms after`);
    t.equal(r.callsFailed, 0);
    testCallsAll(t, r);
    const handed = cdrList(b).slice(bBefore);
    t.equal(handed.length, 2, 'site B saw the two calls');
    t.ok(handed.every((c) => c.fromPeer === 'site-a' && c.outcome === 'answered' && c.attempts[0]?.carrier === 'carrier-b1'), 'answered on B\'s carrier, handed over by site-a');
    t.match((await a.admin('GET', '/site')).body, { failover: false }, 'site failed back');
  });

  await t.test('kept in GET /drills and counted in the metrics', async (t) => {
    const list = (await a.admin('GET', '/drills')).body as { running: number | null; drills: DrillRecord[] };
    t.equal(list.running, null);
    t.same(list.drills.map((d) => [d.scenario, d.status]), [['drain-site', 'passed'], ['failover-site', 'passed']]);
    const md = await a.admin('GET', `/drills/${list.drills[1]!.id}?format=md`);
    t.match(String(md.body), /# Drill: fail the site over to site-b — PASSED/);
    const metrics = String((await a.admin('GET', '/metrics')).body);
    t.match(metrics, /trunkwise_drill_runs_total\{scenario="drain-site",result="passed"\} 1/);
    t.match(metrics, /trunkwise_drill_runs_total\{scenario="failover-site",result="passed"\} 1/);
    t.match(metrics, /trunkwise_drill_calls_failed\{scenario="failover-site"\} 0/);
  });

  await t.test('an operator fails the site over and back by hand (admin API)', async (t) => {
    t.equal((await a.admin('POST', '/site/failover')).status, 401, 'needs the token');
    t.match((await a.admin('POST', '/site/failover', 'test-token')).body, { failover: true, failoverBy: 'admin API' });
    t.equal((await startDrill(a, 'failover-site')).status, 409, 'no failover drill on a site failed over already');
    t.match((await a.admin('POST', '/site/failback', 'test-token')).body, { failover: false });
    t.ok(a.logs.some((l) => l.event === 'site-failover' && l.by === 'admin API') && a.logs.some((l) => l.event === 'site-failback'), 'both logged');
  });
});
