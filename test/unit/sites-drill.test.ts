/**
 * The "drain carrier" drill's logic (src/drills/drain-carrier.ts) on a simulated clock and simulated
 * traffic: what moved, how fast, restore, early restore when a call fails, and the verdicts.
 */
import t from 'tap';
import { runDrainDrill, drillMarkdown, type DrainDrillDeps } from '../../src/drills/drain-carrier';
import { SyntheticCalls } from '../../src/drills/synthetic';

/** 40 attempts/s spread a:b:c = 2:1:1 while a is in service, b:c = 1:1 while drained; with failWhileDrained, a failed call every 25 ms while drained. */
function world(opts: { failWhileDrained?: boolean } = {}): DrainDrillDeps & { log: string[] } {
  let now = 0;
  let manual: 'in-service' | 'drained' = 'in-service';
  const attempts = { a: 0, b: 0, c: 0 };
  let failed = 0;
  const log: string[] = [];
  return {
    log,
    now: () => now,
    sleep: async (ms) => {
      for (let i = 0; i < ms / 25; i++) {
        now += 25;
        if (manual === 'in-service') {
          if (i % 2 === 0) attempts.a++;
          else if (i % 4 === 1) attempts.b++;
          else attempts.c++;
        } else {
          if (i % 2 === 0) attempts.b++;
          else attempts.c++;
          if (opts.failWhileDrained) failed++;
        }
      }
    },
    counters: async () => ({ attempts: { 'carrier-a': attempts.a, 'carrier-b': attempts.b, 'carrier-c': attempts.c }, failed }),
    manual: () => manual,
    setManual: (_id, s) => {
      log.push(`${now} ${s}`);
      manual = s;
    },
  };
}

t.test('the drained carrier\'s share moves to the others, 0 failed, restored', async (t) => {
  const w = world();
  const r = await runDrainDrill(w, 'carrier-a', 2000);
  t.ok(r.passed, r.verdict);
  t.equal(r.before.share['carrier-a'], 0.5);
  t.equal(r.during.attempts['carrier-a'], 0);
  t.equal(r.callsFailed, 0);
  t.ok(r.restoredAfterMs !== undefined && r.restoredAfterMs <= 250);
  t.same(w.log, ['2000 drained', '4000 in-service'], 'drained for one window, then restored');
  t.match(drillMarkdown(r, 'now'), /drain carrier-a — PASSED/);
});

t.test('a call failing while drained restores the carrier at once and fails the drill', async (t) => {
  const w = world({ failWhileDrained: true });
  const r = await runDrainDrill(w, 'carrier-a', 2000);
  t.notOk(r.passed);
  t.ok(r.restoredEarly);
  t.equal(w.log[1], '2250 in-service', 'restored at the first check after the failure');
  t.match(r.verdict, /calls failed \(carrier-a restored early/);
});

t.test('a carrier with no traffic before proves nothing', async (t) => {
  const w = world();
  const r = await runDrainDrill({ ...w, counters: async () => ({ attempts: { 'carrier-a': 0, 'carrier-b': 0 }, failed: 0 }) }, 'carrier-a', 1000);
  t.notOk(r.passed);
  t.match(r.verdict, /took no calls before the drain/);
});

t.test('the drill\'s own test calls: counted per window, dropped when the window ends early, failures kept', async (t) => {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  let n = 0;
  const calls = new SyntheticCalls(async () => {
    n++;
    if (n === 5) throw new Error('socket gone');
    return n === 4 ? { ok: false, setupMs: -1, status: 503 } : { ok: true, setupMs: 10 * n, status: 200 };
  }, sleep);
  calls.window('before', 3, 60);
  await sleep(100);
  calls.window('during', 3, 300);
  await sleep(30);
  t.equal(calls.failed, 1, 'the 503 is counted at once (an early restore reads it)');
  await sleep(120);
  calls.window('after', 1, 10);
  await sleep(60);
  const c = await calls.settle();
  t.match(c.before, { placed: 3, answered: 3, failed: 0, setupMaxMs: 30 });
  t.match(c.during, { placed: 2, answered: 0, failed: 2, failures: [503, 0] }, 'the third "during" call was dropped when the window ended early; a throw is a failure (status 0)');
  t.match(c.after, { placed: 1, answered: 1 });
});
