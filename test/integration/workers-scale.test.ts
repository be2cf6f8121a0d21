/**
 * Issue 12, `--workers 2` on one host: one trunkwise start (the engine and two app workers, no
 * --redis: the supervisor starts its own redis-server), the carrier simulator as carriers, SIPp as
 * the IVR. One shared start for the whole file:
 *  - new calls are spread over both workers (shares within 10 points), counted from their CDR lines;
 *  - a worker killed -9 with calls up: new calls keep being answered (0 failed), its cap slots on a
 *    capped carrier free within the lease and that capacity is used again, the worker is restarted;
 *  - SIGTERM: every process trunkwise started (workers, redis-server) is gone.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startSimulator } from '../../src/sim';
import { runSipp, killAll, sippErrors, type SippResult } from '../helpers/sipp';
import { startTrunkwise, cdrs, type LogLine } from '../helpers/trunkwise-process';
import { alive, descendants } from '../helpers/procs';

const SC = path.join(__dirname, '..', 'scenarios', 'uac-basic-call.xml');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LEASE_MS = 3000;
const CAP = 6;
const ROUTE = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }, { id: carrier-b }]
    strategy: health-weighted
    maxAttempts: 2
    timers: { attemptNoProvisionalMs: 2000, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
    media: direct
`;

t.teardown(killAll);



type Cdr = ReturnType<typeof cdrs>[number] & { startedAt: number };
const workerCdrs = (logs: LogLine[], w: number): Cdr[] => logs.filter((l) => l.msg === 'cdr' && l.worker === w).map((l) => l.cdr as Cdr);
const readyPids = (logs: LogLine[]): Map<number, number> => new Map(logs.filter((l) => l.event === 'worker' && l.ready === true).map((l) => [l.worker as number, l.pid as number]));

t.test('--workers 2: calls spread over both, a worker killed -9 costs no new call, its cap slots free within the lease, nothing left after SIGTERM', async (t) => {
  const sim = await startSimulator({ carriers: ['carrier-a', 'carrier-b'].map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const })), seed: 5 });
  t.teardown(() => sim.stop());
  const tw = await startTrunkwise({
    carriers: [
      { id: 'carrier-a', port: sim.get('carrier-a').port, weight: 90, maxConcurrent: CAP },
      { id: 'carrier-b', port: sim.get('carrier-b').port, weight: 10 },
    ],
    routes: { '99-default.yaml': ROUTE }, args: ['--workers', '2', '--cap-lease-ms', String(LEASE_MS)],
  });
  t.teardown(() => tw.stop());
  const local = tw.logs.find((l) => l.event === 'local-redis');
  t.ok(local, 'no --redis: the supervisor started its own redis-server');
  const redisUrl = local?.url as string;
  const redisPid = local?.pid as number;
  const redis = new Redis(redisUrl);
  t.teardown(() => redis.disconnect());
  const started = readyPids(tw.logs);
  t.equal(started.size, 2, `two workers ready (pids ${[...started.values()].join(', ')})`);
  const run = (calls: number, rate: number, holdMs: number): Promise<SippResult> => runSipp({ scenario: SC, remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate, calls, concurrent: 1000, duration: holdMs, timeoutMs: 60_000 });
  const noFailures = (r: SippResult, calls: number, what: string): void => {
    t.equal(r.failed, 0, `${what}: no failed call`);
    if (r.failed > 0) t.comment(sippErrors(r.dir));
    t.equal(r.successful, calls, `${what}: ${calls} calls completed`);
  };

  // 1. Spread: the engine hands new INVITEs to the workers in turn.
  noFailures(await run(40, 20, 300), 40, 'spread');
  const per = [0, 1].map((w) => workerCdrs(tw.logs, w).length);
  t.equal(per[0]! + per[1]!, 40, `every call has a CDR from a worker (${per.join(' + ')})`);
  for (const [w, n] of per.entries()) t.ok(Math.abs(n / 40 - 0.5) <= 0.1, `worker ${w} took ${n} of 40 calls (share within 10 points of 50 %)`);
  t.match((await tw.admin('GET', '/health')).body, { state: { backend: 'redis', reachable: true } }, 'worker 0 (the --http port) shares state through Redis');

  // POST /reload reaches worker 0 only (the --http port); the engine and worker 1 reload with it.
  const reloads = (): string[] => tw.logs.filter((l) => l.msg === 'configuration reloaded').map((l) => (l.worker === undefined ? 'engine' : `worker ${String(l.worker)}`)).sort();
  t.equal((await tw.admin('POST', '/reload', 'test-token')).status, 200, 'POST /reload answered by worker 0');
  for (const until = Date.now() + 3000; Date.now() < until && reloads().length < 3; await sleep(100));
  t.same(reloads(), ['engine', 'worker 0', 'worker 1'], 'the whole host reloaded: the engine (its allowlist) and both workers');

  // 2. Calls up on both workers, carrier-a at its cap; worker 0 killed -9.
  const held = run(12, 12, 9000);
  let inUse = 0;
  for (const until = Date.now() + 5000; Date.now() < until && inUse < CAP; await sleep(100)) inUse = await redis.zcard('tw:calls:carrier-a');
  t.equal(inUse, CAP, `carrier-a at its cap: ${inUse} slots held in Redis`);
  await sleep(1500); // every call of the batch set up (12 at 12/s)
  const victim = started.get(0)!;
  const live = async (): Promise<number> => {
    const [sec, usec] = await redis.time();
    return redis.zcount('tw:calls:carrier-a', Number(sec) * 1000 + Math.floor(Number(usec) / 1000), '+inf');
  };
  const before = await live();
  const upAtCarriers = (): number => sim.stats('carrier-a').activeCalls + sim.stats('carrier-b').activeCalls;
  const upBefore = upAtCarriers();
  t.equal(upBefore, 12, 'all 12 held calls up at the carriers before the kill');
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  let freedAfter = 0;
  let left = before;
  for (; Date.now() - killedAt < LEASE_MS + 3000; await sleep(100)) {
    left = await live();
    if (left < before) {
      freedAfter = Date.now() - killedAt;
      break;
    }
  }
  // The engine ends the killed worker's calls itself (its media relay died with it): BYE on both legs.
  // (read after the lease loop above, well within the held calls' 9 s: the live worker's are still up)
  const upAfter = upAtCarriers();
  const endedByKill = upBefore - upAfter;
  t.ok(endedByKill >= 1 && endedByKill <= 11, `the carriers got a BYE for the killed worker's ${endedByKill} calls (${Date.now() - killedAt} ms after the kill); the live worker's ${upAfter} stay up`);
  const gone = tw.logs.find((l) => l.msg === 'application disconnected: its calls are ended (CANCEL, BYE)');
  t.equal(gone?.ended, 2 * endedByKill, `the engine BYEd both legs of each (${String(gone?.ended)} dialogs)`);
  t.ok(freedAfter > 0 && freedAfter <= LEASE_MS + 1000, `the killed worker's slots on carrier-a freed ${freedAfter} ms after the kill (lease ${LEASE_MS} ms): ${left} of ${before} still held (the live worker's)`);

  // 3. New calls while the killed worker's calls are gone: all answered, some on the freed capacity.
  const aBefore = sim.stats('carrier-a').answered;
  const after = await run(10, 10, 500);
  noFailures(after, 10, 'calls after the kill');
  t.ok(sim.stats('carrier-a').answered > aBefore, `carrier-a took ${sim.stats('carrier-a').answered - aBefore} new calls on the freed slots`);
  const heldResult = await held;
  t.equal(heldResult.successful, 12 - endedByKill, `the live worker's ${12 - endedByKill} held calls completed`);
  t.equal(heldResult.failed, endedByKill, `the killed worker's ${endedByKill} calls ended at the caller by the engine's BYE`);
  const died = tw.logs.find((l) => l.event === 'worker' && l.worker === 0 && l.signal === 'SIGKILL');
  t.ok(died, 'the supervisor logged the killed worker');
  let restarted: number | undefined;
  for (const until = Date.now() + 15_000; Date.now() < until && restarted === undefined; await sleep(100)) {
    const p = tw.logs.filter((l) => l.event === 'worker' && l.worker === 0 && l.ready === true).map((l) => l.pid as number).find((pid) => pid !== victim);
    restarted = p;
  }
  t.ok(restarted !== undefined, `worker 0 restarted (pid ${restarted})`);

  // 4. SIGTERM: the workers drain and exit, then the engine and the redis-server stop.
  const pids = [...new Set([...started.values(), ...(restarted ? [restarted] : []), redisPid, ...descendants(tw.pid)])];
  t.ok(descendants(tw.pid).length >= 3, `the supervisor's children before SIGTERM: ${descendants(tw.pid).length} (two workers, redis-server)`);
  await tw.stop();
  let survivors = pids.filter(alive);
  for (const until = Date.now() + 2000; survivors.length > 0 && Date.now() < until; await sleep(100)) survivors = pids.filter(alive);
  const what = (p: number): string => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80);
    } catch {
      return '?';
    }
  };
  t.same(survivors.map((p) => `${p} ${what(p)}`), [], `after SIGTERM no process trunkwise started is left (workers, redis-server, every descendant: ${pids.join(', ')})`);
});

t.test('--workers 2, the supervisor (the engine) killed -9: the workers and the redis-server go too, no half left', async (t) => {
  const sim = await startSimulator({ carriers: [{ id: 'carrier-a', host: '127.0.0.1', port: 0, transport: 'udp' as const }], seed: 6 });
  t.teardown(() => sim.stop());
  const tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: sim.get('carrier-a').port, weight: 100 }], routes: { '99-default.yaml': ROUTE.replace(', { id: carrier-b }', '') }, args: ['--workers', '2'] });
  t.teardown(() => tw.stop());
  const kids = descendants(tw.pid);
  t.ok(kids.length >= 3, `the supervisor's children: ${kids.length} (two workers, redis-server)`);
  const killedAt = Date.now();
  process.kill(tw.pid, 'SIGKILL');
  let left = kids;
  for (; Date.now() - killedAt < 5000 && left.length > 0; await sleep(100)) left = kids.filter(alive);
  t.same(left, [], `every child gone ${Date.now() - killedAt} ms after the supervisor was killed (${kids.join(', ')})`);
  const redisDir = tw.logs.find((l) => l.event === 'local-redis')?.dir;
  t.ok(typeof redisDir === 'string' && redisDir.includes('trunkwise-redis-'), `the local redis-server's folder is logged (${String(redisDir)})`);
  let dirLeft = true;
  for (; Date.now() - killedAt < 5000 && dirLeft; await sleep(100)) dirLeft = existsSync(String(redisDir));
  t.notOk(dirLeft, 'its temporary folder is removed by its watchdog, with nobody left to clean up');
  t.ok(tw.logs.some((l) => l.msg === 'supervisor gone: this worker stops'), 'a worker said why it stopped');
});
