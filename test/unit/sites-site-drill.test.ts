/**
 * The site drills' logic (src/drills/site-drill.ts) on a simulated clock and simulated traffic:
 * drain-site and failover-site verdicts, the early restore when a call fails, and the restore
 * always happening (also when reading the counters throws).
 */
import t from 'tap';
import { runSiteDrill, siteDrillMarkdown, type SiteDrillDeps, type SiteScenario } from '../../src/drills/site-drill';

interface WorldOpts {
  /** While applied: attempts still go to the local carrier (failover that does not work). */
  leaky?: boolean;
  /** While applied: OPTIONS still answered 200 (drain that does not work). */
  still200?: boolean;
  /** While applied: a call fails every step. */
  failing?: boolean;
  /** counters() throws once applied. */
  broken?: boolean;
}

/** 40 IVR calls/s to carrier-a while normal; to site-b while failed over; the IVR stops calling a drained site. */
function world(scenario: SiteScenario, o: WorldOpts = {}): SiteDrillDeps & { log: string[] } {
  let now = 0;
  let applied = false;
  const attempts: Record<string, number> = { 'carrier-a': 0, 'site-b': 0 };
  let callsIn = 0;
  let failed = 0;
  const log: string[] = [];
  return {
    log, peers: ['site-b'],
    now: () => now,
    sleep: async (ms) => {
      for (let i = 0; i < ms / 25; i++) {
        now += 25;
        if (scenario === 'drain-site' && applied && !o.still200) continue;
        callsIn++;
        attempts[applied && scenario === 'failover-site' && !o.leaky ? 'site-b' : 'carrier-a']!++;
        if (applied && o.failing) failed++;
      }
    },
    counters: async () => {
      if (applied && o.broken) throw new Error('metrics unreadable');
      return { attempts: { ...attempts }, failed, callsIn };
    },
    upstreamStatus: () => (scenario === 'drain-site' && applied && !o.still200 ? 503 : 200),
    apply: () => {
      log.push(`${now} apply`);
      applied = true;
    },
    restore: () => {
      log.push(`${now} restore`);
      applied = false;
    },
  };
}

t.test('drain-site: 503 for the window, the IVR stops calling, 200 after', async (t) => {
  const w = world('drain-site');
  const r = await runSiteDrill(w, 'drain-site', 2000);
  t.equal(r.passed, true, r.verdict);
  t.same(r.upstream, { before: [200], during: [503], after: [200] });
  t.same(r.ivrCalls, { before: 80, during: 0, after: 80 });
  t.equal(r.restoredAfterMs, 0);
  t.equal(r.drainedForMs, 2000);
  t.same(w.log, ['2000 apply', '4000 restore']);
  t.match(r.verdict, /no IVR call arrived meanwhile/);
  t.match(siteDrillMarkdown(r, 'x'), /# Drill: drain the site — PASSED[\s\S]*\| site drained \| 0 \(0 %\) \| 0 \(0 %\) \| 0 \| 503 \| 0 \|/);
});

t.test('drain-site fails when OPTIONS kept answering 200', async (t) => {
  const r = await runSiteDrill(world('drain-site', { still200: true }), 'drain-site', 2000);
  t.equal(r.passed, false);
  t.match(r.verdict, /OPTIONS answered 200 while drained/);
});

t.test('failover-site: the share moves to the peer and comes back', async (t) => {
  const r = await runSiteDrill(world('failover-site'), 'failover-site', 2000);
  t.equal(r.passed, true, r.verdict);
  t.equal(r.carrier, 'site-b');
  t.same(r.during.share, { 'carrier-a': 0, 'site-b': 1 });
  t.equal(r.after.attempts['site-b'], 0);
  t.equal(r.restoredAfterMs, 250, 'a local attempt at the first step after the restore');
  t.equal(r.movedAfterMs, 0);
});

t.test('failover-site fails when the local carrier keeps taking calls', async (t) => {
  const r = await runSiteDrill(world('failover-site', { leaky: true }), 'failover-site', 2000);
  t.equal(r.passed, false);
  t.match(r.verdict, /local carriers still took attempts/);
});

t.test('a failed call restores at once', async (t) => {
  const w = world('failover-site', { failing: true });
  const r = await runSiteDrill(w, 'failover-site', 4000);
  t.equal(r.restoredEarly, true);
  t.equal(r.passed, false);
  t.same(w.log, ['4000 apply', '4250 restore'], 'restored at the first step that saw the failure');
  t.match(r.verdict, /calls failed \(restored early, 250 ms into the window\)/);
});

t.test('the restore happens even when the drill breaks', async (t) => {
  const w = world('drain-site', { broken: true });
  await t.rejects(runSiteDrill(w, 'drain-site', 1000), /metrics unreadable/);
  t.same(w.log, ['1000 apply', '1250 restore']);
});
