/**
 * The event list an operator reads (`GET /events`): health's state changes and local-fault alarms,
 * plus the operator's own actions (drain, disable …), newest last, with ISO times (UTC) and — for a
 * state change — the score that caused it (null when something else did: unanswered INVITEs, probe
 * rounds; `scoreAtChange` still shows the score at that moment).
 */
import type { HealthEvent } from '../health/types';

export interface OperatorEvent {
  readonly kind: 'operator';
  readonly at: number;
  readonly carrier: string;
  readonly action: string;
  readonly to: string;
  readonly reason: string;
}

export type ApiEvent = Record<string, unknown> & { at: string; atMs: number };

const OPERATOR_LIMIT = 200;

/** The operator's actions, kept beside health's events (bounded). */
export class OperatorLog {
  private list: OperatorEvent[] = [];

  add(e: OperatorEvent): void {
    this.list.push(e);
    if (this.list.length > OPERATOR_LIMIT * 2) this.list = this.list.slice(-OPERATOR_LIMIT);
  }

  all(carrier?: string): OperatorEvent[] {
    const l = this.list.slice(-OPERATOR_LIMIT);
    return carrier === undefined ? l : l.filter((e) => e.carrier === carrier);
  }

  /** The latest action on `carrier`, if any. */
  last(carrier: string): OperatorEvent | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.carrier === carrier) return this.list[i];
    return undefined;
  }
}

/** A stored event read back as an operator action, if it is one. */
export function asOperatorEvent(e: Record<string, unknown>): OperatorEvent | undefined {
  const { kind, at, carrier, action, to, reason } = e;
  if (kind !== 'operator' || typeof at !== 'number' || typeof carrier !== 'string' || typeof action !== 'string' || typeof to !== 'string' || typeof reason !== 'string') return undefined;
  return { kind, at, carrier, action, to, reason };
}

/** Health's state machine words a score-driven change "score 0.42 under …"; everything else is not the score's doing. */
const SCORE_CAUSED = /^score \d/;

export function apiEvent(e: HealthEvent | OperatorEvent): ApiEvent {
  const base = { at: new Date(e.at).toISOString(), atMs: e.at };
  if (e.kind === 'state') {
    const { at: _at, score, ...rest } = e;
    return { ...base, ...rest, score: SCORE_CAUSED.test(e.reason) ? score : null, scoreAtChange: score };
  }
  const { at: _at, ...rest } = e;
  return { ...base, ...rest };
}

/** Health events and operator actions merged, oldest first, the newest `limit`. */
export function mergeEvents(health: readonly HealthEvent[], operator: readonly OperatorEvent[], limit = 500): ApiEvent[] {
  return [...health, ...operator].sort((a, b) => a.at - b.at).slice(-limit).map(apiEvent);
}
