/**
 * Drills on this edge: one at a time, the last 50 kept (GET /drills), each with its report as JSON
 * and markdown; metrics trunkwise_drill_*.
 */
import type { DrillMetrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import { drillMarkdown, runDrainDrill, type DrainDrillDeps, type DrainDrillReport } from './drain-carrier';
import type { PlaceTestCall } from './synthetic';
import { runSiteDrill, siteDrillMarkdown, type SiteDrillReport, type SiteScenario } from './site-drill';

/** The drill's own test calls: `perWindow` calls to `to` in each window. */
export interface TestCallSpec {
  readonly to: string;
  readonly perWindow: number;
}

/** Places test calls through this edge (one caller per drill, closed when the drill ends). */
export type OpenTestCaller = (to: string) => Promise<{ place: PlaceTestCall; close(): Promise<void> }>;

export type DrillScenario = 'drain-carrier' | SiteScenario;

/** What the site drills act on (src/sites/site.ts) and read (the OPTIONS answer, the peers). */
export interface SiteControl {
  drain(by: string, now: number): void;
  undrain(by: string, now: number): void;
  failOver(by: string, now: number): void;
  failBack(by: string): void;
  readonly drained: boolean;
  readonly failingOver: boolean;
  upstreamStatus(now: number): number;
  /** Every peer's id, and how many of them take calls now. */
  peers(): readonly string[];
  usablePeers(): number;
  /** Every call that came in so far. */
  callsIn(): Promise<number>;
}

export interface DrillRecord {
  readonly id: number;
  readonly scenario: DrillScenario;
  /** drain-carrier: the carrier; drain-site: "site"; failover-site: the peers. */
  readonly carrier: string;
  readonly startedAt: string;
  readonly testCalls?: TestCallSpec;
  /** The schedule entry (carriers.yaml drills:) that started it; absent: started by hand. */
  readonly scheduled?: string;
  status: 'running' | 'passed' | 'failed' | 'aborted';
  endedAt?: string;
  report?: DrainDrillReport | SiteDrillReport;
  markdown?: string;
  error?: string;
}

const KEEP = 50;

export class Drills {
  private list: DrillRecord[] = [];
  private next = 1;

  constructor(private readonly deps: DrainDrillDeps & {
    metrics: DrillMetrics; logger: Logger;
    /** Carriers other than `carrier` that take new calls now (active or degraded). */
    usableOthers(carrier: string): number;
    /** Absent: this edge cannot place test calls (drills then read its live traffic only). */
    openTestCaller?: OpenTestCaller;
    /** Absent: this edge has no site drills. */
    site?: SiteControl;
  }) {}

  all(): readonly DrillRecord[] {
    return this.list;
  }

  get(id: number): DrillRecord | undefined {
    return this.list.find((d) => d.id === id);
  }

  running(): DrillRecord | undefined {
    return this.list.find((d) => d.status === 'running');
  }

  /** Start "drain carrier" (refused while another drill runs or the carrier is not in service). */
  startDrain(carrier: string, windowMs: number, testCalls?: TestCallSpec, scheduled?: string): { ok: true; drill: DrillRecord } | { ok: false; status: number; error: string } {
    const busy = this.running();
    if (busy) return { ok: false, status: 409, error: `drill ${busy.id} is still running` };
    const manual = this.deps.manual(carrier);
    if (manual === undefined) return { ok: false, status: 404, error: `no carrier "${carrier}"` };
    if (manual !== 'in-service') return { ok: false, status: 409, error: `carrier "${carrier}" is ${manual}: a drill needs it in service` };
    // Safe for production: never drain the last carrier that can take the calls.
    if (testCalls && !this.deps.openTestCaller) return { ok: false, status: 400, error: 'this edge cannot place test calls (no SIP address to call)' };
    if (this.deps.usableOthers(carrier) === 0) return { ok: false, status: 409, error: `no other carrier is usable now: draining "${carrier}" would fail calls` };
    return { ok: true, drill: this.record('drain-carrier', carrier, windowMs, testCalls, () => this.run(carrier, windowMs, testCalls), scheduled) };
  }

  /** Start "drain the site" or "fail the site over to its peers" (refused while another drill runs, or with nothing to fail over to). */
  startSite(scenario: SiteScenario, windowMs: number, testCalls?: TestCallSpec, scheduled?: string): { ok: true; drill: DrillRecord } | { ok: false; status: number; error: string } {
    const busy = this.running();
    if (busy) return { ok: false, status: 409, error: `drill ${busy.id} is still running` };
    const site = this.deps.site;
    if (!site) return { ok: false, status: 400, error: 'this edge has no site control' };
    if (testCalls && !this.deps.openTestCaller) return { ok: false, status: 400, error: 'this edge cannot place test calls (no SIP address to call)' };
    if (site.drained) return { ok: false, status: 409, error: 'the site is drained already: undrain it first' };
    if (site.failingOver) return { ok: false, status: 409, error: 'the site is failed over already' };
    // Safe for production: never hand calls to peers when none can take them.
    if (scenario === 'failover-site' && site.usablePeers() === 0) return { ok: false, status: 409, error: 'no peer site is usable now (carriers.yaml peers:): failing over would fail calls' };
    const target = scenario === 'drain-site' ? 'site' : site.peers().join(',');
    return { ok: true, drill: this.record(scenario, target, windowMs, testCalls, () => this.runSite(site, scenario, windowMs, testCalls), scheduled) };
  }

  private record(scenario: DrillScenario, target: string, windowMs: number, testCalls: TestCallSpec | undefined, run: () => Promise<DrainDrillReport | SiteDrillReport>, scheduled?: string): DrillRecord {
    const rec: DrillRecord = { id: this.next++, scenario, carrier: target, startedAt: new Date(this.deps.now()).toISOString(), status: 'running', ...(testCalls && { testCalls }), ...(scheduled !== undefined && { scheduled }) };
    this.list.push(rec);
    if (this.list.length > KEEP) this.list = this.list.slice(-KEEP);
    this.deps.metrics.running.set(1);
    this.deps.logger.warn({ event: 'drill', drill: rec.id, scenario: rec.scenario, target, windowMs }, 'drill started');
    void run().then((report) => {
      rec.report = report;
      rec.markdown = report.scenario === 'drain-carrier' ? drillMarkdown(report, rec.startedAt) : siteDrillMarkdown(report, rec.startedAt);
      rec.status = report.passed ? 'passed' : 'failed';
      this.deps.metrics.callsFailed.set({ scenario: rec.scenario }, report.callsFailed);
      this.deps.metrics.moveSeconds.set({ scenario: rec.scenario }, report.movedAfterMs / 1000);
      if (report.restoredAfterMs !== undefined) this.deps.metrics.restoreSeconds.set({ scenario: rec.scenario }, report.restoredAfterMs / 1000);
    }, (err: Error) => {
      rec.status = 'aborted';
      rec.error = err.message;
    }).finally(() => {
      rec.endedAt = new Date(this.deps.now()).toISOString();
      this.deps.metrics.running.set(0);
      this.deps.metrics.runs.inc({ scenario: rec.scenario, result: rec.status });
      this.deps.logger.warn({ event: 'drill', drill: rec.id, status: rec.status, verdict: rec.report?.verdict, error: rec.error }, 'drill ended');
    });
    return rec;
  }

  private async runSite(site: SiteControl, scenario: SiteScenario, windowMs: number, spec: TestCallSpec | undefined): Promise<SiteDrillReport> {
    const by = `drill ${this.next - 1}`;
    const deps = {
      counters: async () => ({ ...(await this.deps.counters()), callsIn: await site.callsIn() }),
      upstreamStatus: () => site.upstreamStatus(this.deps.now()),
      apply: () => (scenario === 'drain-site' ? site.drain(by, this.deps.now()) : site.failOver(by, this.deps.now())),
      restore: () => (scenario === 'drain-site' ? site.undrain(by, this.deps.now()) : site.failBack(by)),
      peers: site.peers(), now: this.deps.now, sleep: this.deps.sleep,
    };
    if (!spec || !this.deps.openTestCaller) return runSiteDrill(deps, scenario, windowMs);
    const caller = await this.deps.openTestCaller(spec.to);
    try {
      return await runSiteDrill(deps, scenario, windowMs, { perWindow: spec.perWindow, place: caller.place });
    } finally {
      await caller.close();
    }
  }

  private async run(carrier: string, windowMs: number, spec: TestCallSpec | undefined): Promise<DrainDrillReport> {
    if (!spec || !this.deps.openTestCaller) return runDrainDrill(this.deps, carrier, windowMs);
    const caller = await this.deps.openTestCaller(spec.to);
    try {
      return await runDrainDrill(this.deps, carrier, windowMs, { perWindow: spec.perWindow, place: caller.place });
    } finally {
      await caller.close();
    }
  }
}
