/** RFC 3261 Table 4 (and RFC 6026's L and M) from the base values T1, T2, T4. */
import { DEFAULT_TIMER_C, type TimerConfig } from './types';

export interface TimerValues {
  /** INVITE retransmit interval start (doubles). */ A: number;
  /** INVITE transaction timeout. */ B: number;
  /** Wait for response retransmits (unreliable). */ D: number;
  /** Non-INVITE retransmit interval start (doubles, capped at T2). */ E: number;
  /** Non-INVITE transaction timeout. */ F: number;
  /** INVITE final response retransmit interval start. */ G: number;
  /** Wait for ACK receipt. */ H: number;
  /** Wait for ACK retransmits (unreliable). */ I: number;
  /** Wait for non-INVITE request retransmits (unreliable). */ J: number;
  /** Wait for response retransmits (unreliable). */ K: number;
  /** Accepted state of an INVITE server transaction (RFC 6026). */ L: number;
  /** Accepted state of an INVITE client transaction (RFC 6026). */ M: number;
  /** INVITE client: provisional received, no final (RFC 3261 §16.6, > 3 min). */ C: number;
  /** INVITE client: CANCEL sent, no final (RFC 3261 §9.1). */ cancelWait: number;
  T1: number;
  T2: number;
}

/** One frozen table per configuration and transport kind, shared by every transaction that uses it. */
const made = new WeakMap<TimerConfig, { reliable?: TimerValues; unreliable?: TimerValues }>();

export function timerValues(t: TimerConfig, reliable: boolean): TimerValues {
  let byKind = made.get(t);
  if (!byKind) made.set(t, (byKind = {}));
  const k = reliable ? 'reliable' : 'unreliable';
  return (byKind[k] ??= Object.freeze(computeTimerValues(t, reliable)));
}

function computeTimerValues(t: TimerConfig, reliable: boolean): TimerValues {
  const x64 = 64 * t.T1;
  return {
    A: t.T1, B: x64, D: reliable ? 0 : Math.max(32_000, x64), E: t.T1, F: x64, G: t.T1, H: x64,
    I: reliable ? 0 : t.T4, J: reliable ? 0 : x64, K: reliable ? 0 : t.T4, L: x64, M: x64,
    C: t.C ?? DEFAULT_TIMER_C, cancelWait: x64, T1: t.T1, T2: t.T2,
  };
}
