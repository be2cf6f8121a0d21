/**
 * The drill registry (src/drills/registry.ts) with the site drills: refusals (one drill at a time,
 * no site control, no usable peer, site already drained or failed over), then a drain-carrier and a
 * failover-site drill to the end on a simulated clock — status, report, markdown, metrics, and the
 * site restored.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { Drills, type SiteControl } from '../../src/drills/registry';
import { createDrillMetrics } from '../../src/observability/metrics';
import { createLogger } from '../../src/observability/logger';

function setup(opts: { usablePeers?: number; noSite?: boolean } = {}) {
  let now = 0;
  let manual: 'in-service' | 'drained' = 'in-service';
  const site = { drained: false, failingOver: false };
  const attempts: Record<string, number> = { 'carrier-a': 0, 'carrier-b': 0, 'site-b': 0 };
  let callsIn = 0;
  const control: SiteControl = {
    drain: () => void (site.drained = true), undrain: () => void (site.drained = false),
    failOver: () => void (site.failingOver = true), failBack: () => void (site.failingOver = false),
    get drained() {
      return site.drained;
    },
    get failingOver() {
      return site.failingOver;
    },
    upstreamStatus: () => (site.drained ? 503 : 200),
    peers: () => ['site-b'], usablePeers: () => opts.usablePeers ?? 1, callsIn: async () => callsIn,
  };
  const registry = new Registry();
  const drills = new Drills({
    metrics: createDrillMetrics(registry), logger: createLogger({ level: 'silent' }),
    counters: async () => ({ attempts: { ...attempts }, failed: 0 }),
    manual: (id) => (id === 'carrier-a' ? manual : id === 'carrier-b' ? 'in-service' : undefined),
    setManual: (_id, s) => void (manual = s),
    usableOthers: () => 1,
    now: () => now,
    // 20 calls/s: to carrier-a (or b while a is drained), to site-b while failed over.
    sleep: async (ms) => {
      for (let i = 0; i < ms / 50; i++) {
        now += 50;
        callsIn++;
        attempts[site.failingOver ? 'site-b' : manual === 'drained' || i % 2 ? 'carrier-b' : 'carrier-a']!++;
      }
    },
    ...(!opts.noSite && { site: control }),
  });
  return { drills, registry, site };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
};

t.test('refusals', async (t) => {
  t.match(setup({ noSite: true }).drills.startSite('drain-site', 2000), { ok: false, status: 400 });
  t.match(setup({ usablePeers: 0 }).drills.startSite('failover-site', 2000), { ok: false, status: 409, error: /no peer site is usable/ });
  const s = setup();
  s.site.drained = true;
  t.match(s.drills.startSite('failover-site', 2000), { ok: false, status: 409, error: /drained already/ });
  s.site.drained = false;
  s.site.failingOver = true;
  t.match(s.drills.startSite('drain-site', 2000), { ok: false, status: 409, error: /failed over already/ });
  t.match(setup().drills.startSite('drain-site', 2000, { to: '1', perWindow: 1 }), { ok: false, status: 400, error: /cannot place test calls/ });
  const busy = setup();
  t.ok(busy.drills.startDrain('carrier-a', 2000).ok);
  t.match(busy.drills.startSite('drain-site', 2000), { ok: false, status: 409, error: /still running/ });
  t.match(busy.drills.startDrain('carrier-b', 2000), { ok: false, status: 409 });
});

t.test('drain-carrier then failover-site to the end: records, reports, metrics', async (t) => {
  const { drills, registry, site } = setup();
  const d1 = drills.startDrain('carrier-a', 1000);
  t.ok(d1.ok);
  await settle();
  t.match(drills.get(1), { scenario: 'drain-carrier', carrier: 'carrier-a', status: 'passed', markdown: /# Drill: drain carrier-a — PASSED/ });
  const d2 = drills.startSite('failover-site', 1000);
  t.match(d2, { ok: true, drill: { id: 2, scenario: 'failover-site', carrier: 'site-b', status: 'running' } });
  await settle();
  const rec = drills.get(2)!;
  t.equal(rec.status, 'passed', rec.report?.verdict ?? 'no report');
  t.match(rec.markdown, /# Drill: fail the site over to site-b — PASSED/);
  t.equal(site.failingOver, false, 'failed back');
  t.same(drills.all().map((d) => d.scenario), ['drain-carrier', 'failover-site']);
  const text = await registry.metrics();
  t.match(text, /trunkwise_drill_runs_total\{scenario="drain-carrier",result="passed"\} 1/);
  t.match(text, /trunkwise_drill_runs_total\{scenario="failover-site",result="passed"\} 1/);
  t.match(text, /trunkwise_drill_running 0/);
});
