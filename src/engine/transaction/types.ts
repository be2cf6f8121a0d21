/**
 * Contracts between the transaction layer (RFC 3261 §17) and the layers around it.
 *
 * The transaction layer owns retransmission and timers A–K (plus RFC 6026's L and M); it never parses
 * or builds headers beyond what §17 requires (the ACK for a non-2xx, the 100 Trying). Everything it
 * needs from outside comes through these interfaces, so the state machines run under a fake clock in
 * unit tests and under the real one in the engine.
 */
import type { SipRequest, SipResponse, Target } from '../../sip/message';

export interface TimerHandle {
  cancel(): void;
}

/** Time source; the engine uses real timers, tests use a fake clock they advance by hand. */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** RFC 3261 timer base values in milliseconds (§17.1.1.1, Table 4). */
export interface TimerConfig {
  T1: number;
  T2: number;
  T4: number;
  /**
   * Timer C (RFC 3261 §16.6 step 11, "greater than 3 minutes"): an INVITE that got a provisional but
   * no final response within C is cancelled. Restarted by every provisional. Default 185 s (sofia's).
   */
  C?: number;
}

export const DEFAULT_TIMER_C = 185_000;

export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({ T1: 500, T2: 4000, T4: 5000, C: DEFAULT_TIMER_C });

/** What the transaction layer sends through. A failed send is reported asynchronously via onTransportError. */
export interface TransactionTransport {
  send(msg: SipRequest | SipResponse, target: Target): void;
  /** true for TCP (no retransmissions, timers D/I/J/K are zero). */
  isReliable(target: Target): boolean;
  /**
   * The bytes a message went out as (for an unreliable target), and re-sending them: with both, a
   * transaction that has its final response keeps only those bytes for its wait window, not the
   * parsed message. Without them it keeps the message (the unit tests' recording transport).
   */
  sentBytes?(msg: SipRequest | SipResponse): Buffer | undefined;
  sendBytes?(bytes: Buffer, target: Target): void;
}

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'terminated';
export type ServerTransactionState = 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

/** Why a client transaction gave up without a final response from the peer. */
export type ClientFailure = 'timeout' | 'transport-error';

/** Events a client transaction reports to its user (the UA core). */
export interface ClientTransactionUser {
  /** Every provisional and final response that the TU must see (first final + 2xx retransmissions). */
  onResponse(res: SipResponse): void;
  /** Timer B/F fired, or the transport failed: the core synthesises 408 / 503. */
  onFailure(reason: ClientFailure): void;
  /** The transaction reached Terminated and can be forgotten. */
  onTerminated(): void;
  /** INVITE client: timer C fired in Proceeding; the TU should CANCEL (RFC 3261 §16.6 step 11). */
  onTimerC?(): void;
  /** The final response arrived: the transaction now only absorbs retransmissions and has let the request go. */
  onRetired?(): void;
}

/** Events a server transaction reports to its user. */
export interface ServerTransactionUser {
  /** INVITE server: timer H fired with no ACK (for a 2xx as well as a non-2xx). */
  onAckTimeout?(): void;
  /** INVITE server: ACK matched the transaction (non-2xx ACK absorbed here; 2xx ACK handed over). */
  onAck?(ack: SipRequest): void;
  onTransportError?(): void;
  onTerminated(): void;
  /**
   * The final response went out: from here the transaction only absorbs retransmissions and re-sends
   * its final until its wait window ends. It has let the request go; the user may let go of what it
   * kept for the exchange too (everything but what matching an ACK or a retransmission needs).
   */
  onRetired?(): void;
}

export interface ClientTransaction {
  readonly id: string;
  readonly state: ClientTransactionState;
  readonly target: Target;
  /** Feed a response whose branch/method matched this transaction. */
  receiveResponse(res: SipResponse): void;
  /** Transport reported a failure sending to target. */
  transportError(): void;
  /**
   * INVITE client: a CANCEL for this INVITE was sent. If no final response arrives within 64·T1 the
   * transaction gives up with onFailure('timeout') (RFC 3261 §9.1). Other transactions: no-op.
   */
  cancelSent(): void;
  /** Stop all timers and terminate silently (engine shutdown). */
  destroy(): void;
  /** RFC letters of the timers armed now (leak diagnostics). */
  readonly armedTimers: readonly string[];
}

export interface ServerTransaction {
  readonly id: string;
  readonly state: ServerTransactionState;
  readonly source: Target;
  /** A retransmission of the request arrived; the last response is re-sent where §17.2 says so. */
  receiveRequest(req: SipRequest): void;
  /** ACK for this INVITE transaction (non-2xx: absorbed; 2xx: stops 2xx retransmission). */
  receiveAck(ack: SipRequest): void;
  /** The TU responds; provisional or final. */
  respond(res: SipResponse): void;
  transportError(): void;
  destroy(): void;
  /** RFC letters of the timers armed now (leak diagnostics). */
  readonly armedTimers: readonly string[];
}
