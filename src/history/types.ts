/** What the history keeps per carrier and for the whole edge, and what it serves. */

/** A cumulative histogram: bucket upper bounds (seconds, ascending, +Inf last) and counts ≤ each. */
export interface CumulativeHistogram {
  readonly le: readonly number[];
  readonly counts: readonly number[];
}

/** One carrier read at one moment: instantaneous values and cumulative counters (since start). */
export interface CarrierReading {
  readonly id: string;
  /** Effective state: the operator's disabled / drained win over health's active/degraded/down/probing. */
  readonly state: string;
  readonly score: number;
  readonly callsUp: number;
  readonly attempts: number;
  readonly answered: number;
  /** Failed attempts (any non-2xx, timeout, transport error). */
  readonly failed: number;
  /** Of the failed attempts, those the call went on to another carrier from (crankback). */
  readonly retried: number;
  /** INVITE → 200 OK of answered attempts. */
  readonly setup: CumulativeHistogram;
  /** Smoothed OPTIONS round-trip time; null while not measured. */
  readonly probeRttMs: number | null;
  /** RTP loss from the carrier as scored by health (mediaLoss); null while not measured. */
  readonly rtpLoss: number | null;
}

/** The edge as the IVR sees it: calls by final outcome, cumulative. */
export interface EdgeReading {
  readonly answered: number;
  /** Calls that failed back to the IVR (every carrier tried failed, or none could take it). */
  readonly failed: number;
  readonly cancelled: number;
}

export interface Reading {
  readonly at: number;
  readonly carriers: readonly CarrierReading[];
  readonly edge: EdgeReading;
}

/** Where readings come from (src/history/source.ts reads the running edge; tests pass their own). */
export interface HistorySource {
  read(now: number): Promise<Reading>;
}

/** One point of a carrier's served history: the step ending at `at`. */
export interface CarrierPoint {
  readonly at: string;
  readonly state: string;
  readonly score: number;
  readonly callsUp: number;
  /** New attempts per second over the step. */
  readonly cps: number;
  /** Answer-seizure ratio over the trailing window: answered / attempts that ended in it (null: none ended). */
  readonly asr: number | null;
  /** 95th percentile INVITE → 200 OK over the trailing window, ms (null: nothing answered in it). */
  readonly setupP95Ms: number | null;
  readonly probeRttMs: number | null;
  readonly rtpLoss: number | null;
  /** Failed attempts in the step, and how many of them were retried on another carrier. */
  readonly failed: number;
  readonly retried: number;
}

export interface EdgePoint {
  readonly at: string;
  readonly answered: number;
  readonly failed: number;
  readonly cancelled: number;
}

/** Counters over a trailing window ending now. */
export interface WindowStats {
  readonly windowS: number;
  readonly attempts: number;
  readonly answered: number;
  readonly failed: number;
  readonly retried: number;
  readonly asr: number | null;
  readonly cps: number;
  readonly setupP95Ms: number | null;
}
