/**
 * Drills the edge runs by itself (carriers.yaml `drills:`): each entry comes due every `every`
 * (at `at` UTC plus whole periods, or from the edge's start), and is then started through the same
 * registry as a manual drill — so never two at once: one that comes due while another drill runs
 * waits for it (up to a whole period). A due drill is skipped, and says why, while the edge is
 * draining, while a local fault is suspected (a drill would prove nothing and could hurt), when it
 * waited a whole period for another drill, or when the registry refuses it (carrier not in service,
 * no other usable carrier). GET /drills shows every entry's next run and the last runs; metrics count them.
 */
import type { ScheduledDrillConfig } from '../config/drills';
import type { Logger } from '../observability/logger';
import type { DrillScheduleMetrics } from '../observability/metrics';

export interface ScheduledRun {
  readonly name: string;
  readonly dueAt: string;
  readonly result: 'started' | 'skipped';
  /** The drill's id in GET /drills when started. */
  readonly drill?: number;
  readonly reason?: string;
}

export interface DrillScheduleDeps {
  entries(): readonly ScheduledDrillConfig[];
  /** Start the drill now (the registry's checks apply); the drill's id, or why not. */
  start(d: ScheduledDrillConfig): { ok: true; id: number } | { ok: false; error: string };
  /** The id of the drill running now, if any. */
  running(): number | undefined;
  draining(): boolean;
  localFault(): boolean;
  metrics: DrillScheduleMetrics;
  logger: Logger;
}

const KEEP = 50;
export const SCHEDULE_TICK_MS = 500;

/** The first time after `now` that `d` is due: `at` + k × every (UTC), or `origin` + k × every. */
export function nextDue(d: Pick<ScheduledDrillConfig, 'everyMs' | 'atMinute'>, now: number, origin: number): number {
  const anchor = d.atMinute === undefined ? origin : Math.floor(now / 86_400_000) * 86_400_000 + d.atMinute * 60_000;
  const k = Math.floor((now - anchor) / d.everyMs) + 1;
  return anchor + k * d.everyMs;
}

export class DrillSchedule {
  private readonly due = new Map<string, { key: string; at: number }>();
  private runs: ScheduledRun[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: DrillScheduleDeps, private readonly origin: number) {}

  start(): void {
    this.timer = setInterval(() => this.tick(Date.now()), SCHEDULE_TICK_MS);
    this.timer.unref();
    this.tick(Date.now());
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Starts what came due (one per tick at most: the registry would refuse a second anyway). */
  tick(now: number): void {
    const entries = this.d.entries();
    for (const name of [...this.due.keys()]) if (!entries.some((e) => e.name === name)) this.due.delete(name);
    for (const e of entries) {
      const key = JSON.stringify(e);
      const cur = this.due.get(e.name);
      if (!cur || cur.key !== key) {
        this.plan(e, key, nextDue(e, now, this.origin));
        continue;
      }
      if (now < cur.at) continue;
      // Another drill runs: wait for it (each tick) rather than lose this period, unless the whole period went by.
      const busy = this.d.running();
      if (busy !== undefined && now < cur.at + e.everyMs && !this.d.draining() && !this.d.localFault()) continue;
      this.fire(e, cur.at);
      this.plan(e, key, nextDue(e, now, this.origin));
    }
  }

  view(): { entries: Array<ScheduledDrillConfig & { nextAt: string | null }>; runs: readonly ScheduledRun[] } {
    return {
      entries: this.d.entries().map((e) => {
        const at = this.due.get(e.name)?.at;
        return { ...e, nextAt: at === undefined ? null : new Date(at).toISOString() };
      }),
      runs: this.runs,
    };
  }

  private plan(e: ScheduledDrillConfig, key: string, at: number): void {
    this.due.set(e.name, { key, at });
    this.d.metrics.nextRun.set({ name: e.name }, at / 1000);
  }

  private fire(e: ScheduledDrillConfig, dueAt: number): void {
    const busy = this.d.running();
    const why = this.d.draining() ? 'the edge is draining'
      : this.d.localFault() ? 'a local fault is suspected: a drill now would prove nothing and could fail calls'
        : busy !== undefined ? `drill ${busy} is still running` : undefined;
    const r = why === undefined ? this.d.start(e) : { ok: false as const, error: why };
    const run: ScheduledRun = r.ok
      ? { name: e.name, dueAt: new Date(dueAt).toISOString(), result: 'started', drill: r.id }
      : { name: e.name, dueAt: new Date(dueAt).toISOString(), result: 'skipped', reason: r.error };
    this.runs.push(run);
    if (this.runs.length > KEEP) this.runs = this.runs.slice(-KEEP);
    this.d.metrics.runs.inc({ name: e.name, result: run.result });
    if (r.ok) this.d.logger.warn({ event: 'drill-schedule', name: e.name, drill: r.id }, `scheduled drill ${e.name} started (drill ${r.id})`);
    else this.d.logger.warn({ event: 'drill-schedule', name: e.name, reason: r.error }, `scheduled drill ${e.name} skipped: ${r.error}`);
  }
}
