/**
 * Drills on this edge: one at a time, the last 50 kept (GET /drills), each with its report as JSON
 * and markdown; metrics trunkwise_drill_*.
 */
import type { DrillMetrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import { drillMarkdown, runDrainDrill, type DrainDrillDeps, type DrainDrillReport } from './drain-carrier';
import type { PlaceTestCall } from './synthetic';

/** The drill's own test calls: `perWindow` calls to `to` in each window. */
export interface TestCallSpec {
  readonly to: string;
  readonly perWindow: number;
}

/** Places test calls through this edge (one caller per drill, closed when the drill ends). */
export type OpenTestCaller = (to: string) => Promise<{ place: PlaceTestCall; close(): Promise<void> }>;

export interface DrillRecord {
  readonly id: number;
  readonly scenario: 'drain-carrier';
  readonly carrier: string;
  readonly startedAt: string;
  readonly testCalls?: TestCallSpec;
  /** The schedule entry (carriers.yaml drills:) that started it; absent: started by hand. */
  readonly scheduled?: string;
  status: 'running' | 'passed' | 'failed' | 'aborted';
  endedAt?: string;
  report?: DrainDrillReport;
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
    const rec: DrillRecord = { id: this.next++, scenario: 'drain-carrier', carrier, startedAt: new Date(this.deps.now()).toISOString(), status: 'running', ...(testCalls && { testCalls }), ...(scheduled !== undefined && { scheduled }) };
    this.list.push(rec);
    if (this.list.length > KEEP) this.list = this.list.slice(-KEEP);
    this.deps.metrics.running.set(1);
    this.deps.logger.warn({ event: 'drill', drill: rec.id, scenario: rec.scenario, carrier, windowMs }, 'drill started');
    void this.run(carrier, windowMs, testCalls).then((report) => {
      rec.report = report;
      rec.markdown = drillMarkdown(report, rec.startedAt);
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
    return { ok: true, drill: rec };
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
