/**
 * Per-carrier time series kept in the process (no Prometheus needed to see a trend): every `stepMs`
 * (5 s) one reading of each carrier — state, score, calls up, probe RTT, RTP loss and the cumulative
 * attempt / answer / failure / setup-time counters — kept for `keepMs` (1 h). Served as points per
 * step (calls/s, ASR and setup p95 over a trailing window) and as windows ending now (the summary).
 *
 * Counters are stored cumulative and differenced on the way out: a missed or late step never loses
 * calls, and a window can end at the present moment rather than at the last step.
 */
import type { Logger } from '../observability/logger';
import { histogramDelta, histogramQuantile } from './quantile';
import { Ring } from './series';
import type { CarrierPoint, CarrierReading, EdgePoint, EdgeReading, HistorySource, Reading, WindowStats } from './types';

export const STEP_MS = 5_000;
export const KEEP_MS = 3_600_000;
/** Trailing window for the ASR and setup p95 drawn at each point. */
export const POINT_WINDOW_MS = 60_000;

interface Stamped<T> { readonly t: number; readonly r: T }

export interface HistoryOptions {
  stepMs?: number;
  keepMs?: number;
  logger?: Logger;
}

export class HistoryRecorder {
  readonly stepMs: number;
  private readonly capacity: number;
  private readonly carriers = new Map<string, Ring<Stamped<CarrierReading>>>();
  private readonly edge: Ring<Stamped<EdgeReading>>;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly source: HistorySource, private readonly opts: HistoryOptions = {}) {
    this.stepMs = opts.stepMs ?? STEP_MS;
    this.capacity = Math.max(2, Math.ceil((opts.keepMs ?? KEEP_MS) / this.stepMs) + 1);
    this.edge = new Ring(this.capacity);
  }

  start(): void {
    void this.sample(Date.now());
    this.timer = setInterval(() => void this.sample(Date.now()), this.stepMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Take one reading now (also called by the timer). A slow read skips a step rather than piling up. */
  async sample(now: number): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.record(await this.source.read(now));
    } catch (err) {
      this.opts.logger?.warn({ err: (err as Error).message }, 'history: reading failed; step skipped');
    } finally {
      this.busy = false;
    }
  }

  record(reading: Reading): void {
    const ids = new Set(reading.carriers.map((c) => c.id));
    for (const id of [...this.carriers.keys()]) if (!ids.has(id)) this.carriers.delete(id);
    for (const c of reading.carriers) {
      let ring = this.carriers.get(c.id);
      if (!ring) this.carriers.set(c.id, (ring = new Ring(this.capacity)));
      ring.push({ t: reading.at, r: c });
    }
    this.edge.push({ t: reading.at, r: reading.edge });
  }

  ids(): string[] {
    return [...this.carriers.keys()];
  }

  /** Points of the steps that ended after `since`, oldest first; undefined for an unknown carrier. */
  carrierPoints(id: string, since: number): CarrierPoint[] | undefined {
    const ring = this.carriers.get(id);
    if (!ring) return undefined;
    const all = ring.toArray();
    const out: CarrierPoint[] = [];
    for (let i = 1; i < all.length; i++) {
      const cur = all[i]!;
      if (cur.t <= since) continue;
      const prev = all[i - 1]!;
      const back = ring.atOrBefore(cur.t - POINT_WINDOW_MS, (x) => x.t) ?? all[0]!;
      const w = stats(cur, back.t < cur.t ? back : prev);
      const c = cur.r;
      out.push({
        at: new Date(cur.t).toISOString(), state: c.state, score: round(c.score), callsUp: c.callsUp,
        cps: round(Math.max(0, c.attempts - prev.r.attempts) / Math.max(0.001, (cur.t - prev.t) / 1000)),
        asr: w.asr, setupP95Ms: w.setupP95Ms, probeRttMs: c.probeRttMs, rtpLoss: c.rtpLoss,
        failed: Math.max(0, c.failed - prev.r.failed), retried: Math.max(0, c.retried - prev.r.retried),
      });
    }
    return out;
  }

  edgePoints(since: number): EdgePoint[] {
    const all = this.edge.toArray();
    const out: EdgePoint[] = [];
    for (let i = 1; i < all.length; i++) {
      const cur = all[i]!;
      const prev = all[i - 1]!;
      if (cur.t <= since) continue;
      out.push({
        at: new Date(cur.t).toISOString(), answered: Math.max(0, cur.r.answered - prev.r.answered),
        failed: Math.max(0, cur.r.failed - prev.r.failed), cancelled: Math.max(0, cur.r.cancelled - prev.r.cancelled),
      });
    }
    return out;
  }

  /** A carrier's counters over the `windowMs` ending at `live` (a reading taken now). */
  carrierWindow(live: CarrierReading, at: number, windowMs: number): WindowStats {
    const ring = this.carriers.get(live.id);
    const back = ring?.atOrBefore(at - windowMs, (x) => x.t);
    return stats({ t: at, r: live }, back && back.t < at ? back : undefined);
  }

  /** Calls failed back to the IVR (and answered) over the `windowMs` ending at `live`. */
  edgeWindow(live: EdgeReading, at: number, windowMs: number): EdgeReading & { windowS: number } {
    const back = this.edge.atOrBefore(at - windowMs, (x) => x.t);
    const b = back && back.t < at ? back : undefined;
    return {
      windowS: Math.round((at - (b?.t ?? at)) / 1000), answered: live.answered - (b?.r.answered ?? live.answered),
      failed: live.failed - (b?.r.failed ?? live.failed), cancelled: live.cancelled - (b?.r.cancelled ?? live.cancelled),
    };
  }
}

/** Counters between two readings of one carrier (`from` undefined: nothing to compare yet). */
function stats(to: Stamped<CarrierReading>, from: Stamped<CarrierReading> | undefined): WindowStats {
  if (!from) return { windowS: 0, attempts: 0, answered: 0, failed: 0, retried: 0, asr: null, cps: 0, setupP95Ms: null };
  const attempts = Math.max(0, to.r.attempts - from.r.attempts);
  const answered = Math.max(0, to.r.answered - from.r.answered);
  const failed = Math.max(0, to.r.failed - from.r.failed);
  // Seizures that ended in the window: an attempt started before it and answered inside it must
  // not push the ratio over 1, and one still ringing is not a failure yet.
  const ended = answered + failed;
  const p95 = histogramQuantile(0.95, histogramDelta(to.r.setup, from.r.setup));
  const seconds = Math.max(0.001, (to.t - from.t) / 1000);
  return {
    windowS: Math.round(seconds), attempts, answered, failed, retried: Math.max(0, to.r.retried - from.r.retried),
    asr: ended > 0 ? round(answered / ended) : null, cps: round(attempts / seconds), setupP95Ms: p95 === null ? null : Math.round(p95 * 1000),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
