/** Types shared by the health scorer: probe and call observations, signal readings, states, events. */
import type { HealthSignalName } from '../config/types';

/** Automatic health states (drained / disabled are the operator's, applied on top in the snapshot). */
export type HealthState = 'active' | 'degraded' | 'down' | 'probing';

/** One OPTIONS probe: answered with an alive code (rtt), answered with another code, or no answer in time. */
export type ProbeResult =
  | { kind: 'alive'; at: number; rttMs: number }
  | { kind: 'not-alive'; at: number; rttMs: number; status: number }
  | { kind: 'lost'; at: number };

/**
 * How an outbound attempt ended, as far as carrier health is concerned. `failure` = the carrier's
 * fault (5xx, 408, no provisional, transport); `ok` = answered, or a final the callee chose (486,
 * 404, 603 …); `ignored` = the caller cancelled or the callee never answered a ringing call.
 */
export type AttemptVerdict = 'ok' | 'failure' | 'ignored';

/** One signal's value now and what it does to the score. */
export interface SignalReading {
  readonly name: HealthSignalName;
  readonly value: number;
  readonly unit: 'ratio' | 'ms';
  readonly samples: number;
  /** 1 = at or better than `good`, 0 = at or worse than `bad`. */
  readonly health: number;
  readonly weight: number;
  /** The multiplier this signal applies to the score: 1 − weight × (1 − health). */
  readonly factor: number;
  readonly good: number;
  readonly bad: number;
}

/** A signal with too few samples to judge: shown, but not scored. */
export interface UnscoredSignal {
  readonly name: HealthSignalName;
  readonly samples: number;
  readonly note: string;
}

export interface StateChange {
  readonly at: number;
  readonly carrier: string;
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
  readonly score: number;
}

export interface LocalFaultEvent {
  readonly at: number;
  readonly kind: 'local-fault-raised' | 'local-fault-cleared';
  readonly carriers: readonly string[];
  readonly reason: string;
}

export type HealthEvent = ({ kind: 'state' } & StateChange) | LocalFaultEvent;
