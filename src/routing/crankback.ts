/**
 * The crankback decision (STYLE.md 6): after an attempt fails, try the next carrier or give the
 * caller a final answer — and which one. Pure; the call's attempt loop supplies every fact.
 */
import type { RetryRules } from '../config/types';

export type AttemptFailure =
  | { readonly kind: 'response'; readonly status: number; readonly reason?: string }
  /** no-provisional: nothing heard (not even 100); no-answer: rang, never answered; deadline: setup deadline hit. */
  | { readonly kind: 'timeout'; readonly phase: 'no-provisional' | 'no-answer' | 'deadline' }
  | { readonly kind: 'transport-error' }
  | { readonly kind: 'cancelled' };

/** What an attempt ended with, as the call layer records it (answered attempts are ignored here). */
export type AttemptResult = AttemptFailure | { readonly kind: 'answered' };

export interface CrankbackInput {
  readonly outcome: AttemptFailure;
  readonly callerCancelled: boolean;
  /** A provisional with SDP was relayed to the caller (they may be hearing this carrier). */
  readonly earlyMediaSent: boolean;
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  /** Carriers left in the plan after this one. */
  readonly remainingCarriers: number;
  readonly msUntilDeadline: number;
  readonly rules: RetryRules;
  /** Every attempt of this call so far; `outcome` is appended if it is not already last. */
  readonly history?: readonly AttemptResult[];
}

export type RetryReason = string; // the matching retryOn token: 'timeout', 'no-answer', 'transport', '408', '5xx', …
export type FailReason = 'caller-cancelled' | 'never-retry' | 'early-media' | 'not-retryable' | 'attempts-exhausted' | 'no-carriers-left' | 'deadline';

export type CrankbackDecision = { action: 'retry'; reason: RetryReason } | { action: 'fail'; status: number; reason: FailReason };

/** The retryOn token that makes this failure retryable, or undefined. 486/603 never are. */
export function retryToken(outcome: AttemptFailure, rules: RetryRules): string | undefined {
  const on = rules.retryOn as readonly string[];
  switch (outcome.kind) {
    case 'response': {
      const s = outcome.status;
      if (rules.neverRetry.includes(s)) return undefined;
      const exact = String(s);
      if (on.includes(exact)) return exact;
      const cls = `${Math.floor(s / 100)}xx`;
      return on.includes(cls) ? cls : undefined;
    }
    case 'timeout':
      if (outcome.phase === 'deadline') return undefined;
      return outcome.phase === 'no-answer' ? (on.includes('no-answer') ? 'no-answer' : undefined) : on.includes('timeout') ? 'timeout' : undefined;
    case 'transport-error':
      return on.includes('transport') ? 'transport' : undefined;
    case 'cancelled':
      return undefined;
  }
}

export function decideCrankback(input: CrankbackInput): CrankbackDecision {
  const { outcome, rules } = input;
  const history = input.history === undefined ? [outcome] : input.history[input.history.length - 1] === outcome ? input.history : [...input.history, outcome];

  // The caller cancelled: nobody is waiting for another attempt. 487 Request Terminated.
  if (input.callerCancelled || outcome.kind === 'cancelled') return { action: 'fail', status: 487, reason: 'caller-cancelled' };

  // 486 Busy Here / 603 Decline (and the route's neverRetry list): the callee answered "no", and
  // another carrier reaches the same callee. Pass that answer back unchanged.
  if (outcome.kind === 'response' && rules.neverRetry.includes(outcome.status)) {
    return { action: 'fail', status: outcome.status, reason: 'never-retry' };
  }

  // Early media reached the caller: they may be hearing this carrier's announcement or ringback, and
  // a second carrier would talk over it. Stop here.
  if (input.earlyMediaSent) return { action: 'fail', status: selectFinalFailure(history), reason: 'early-media' };

  // Not in retryOn: by default every 4xx except 408 (callee-specific: 404, 480, 484…), 3xx, a
  // no-answer timeout (the callee was reached and rang out) and the deadline. Another carrier would
  // get the same answer, so pass it back.
  const token = retryToken(outcome, rules);
  if (token === undefined) {
    const reason = outcome.kind === 'timeout' && outcome.phase === 'deadline' ? 'deadline' : 'not-retryable';
    return { action: 'fail', status: selectFinalFailure(history), reason };
  }

  // Retryable, but this call has used its attempts.
  if (input.attemptsMade >= input.maxAttempts) return { action: 'fail', status: selectFinalFailure(history), reason: 'attempts-exhausted' };

  // Retryable, but the plan has no carrier left.
  if (input.remainingCarriers <= 0) return { action: 'fail', status: selectFinalFailure(history), reason: 'no-carriers-left' };

  // Retryable, but the setup deadline has passed: no new attempt may start.
  if (input.msUntilDeadline <= 0) return { action: 'fail', status: selectFinalFailure(history), reason: 'deadline' };

  // Timeout, 408, 5xx, 6xx other than 603, transport error: the carrier failed, not the callee.
  return { action: 'retry', reason: token };
}

/**
 * The status to give the caller when the call fails: the last MEANINGFUL failure.
 *  - A carrier's real final response beats our own synthetic ones; among real responses a 6xx
 *    (global: "nowhere") beats later 4xx/5xx, otherwise the latest wins.
 *  - A no-answer timeout (the callee rang out) counts as a real outcome: 480 Temporarily Unavailable.
 *  - With no real outcome: only timeouts → 408 Request Timeout; any transport error → 503 Service
 *    Unavailable (a carrier could not be reached at all; the IVR should retry later / elsewhere).
 *  - No attempt at all (no usable carrier) → 503.
 */
export function selectFinalFailure(history: readonly AttemptResult[]): number {
  let last6xx: number | undefined;
  let lastReal: number | undefined;
  let timeouts = 0;
  let transport = 0;
  for (const h of history) {
    switch (h.kind) {
      case 'response':
        lastReal = h.status;
        if (h.status >= 600) last6xx = h.status;
        break;
      case 'timeout':
        if (h.phase === 'no-answer') lastReal = 480;
        else timeouts++;
        break;
      case 'transport-error':
        transport++;
        break;
      default: // answered / cancelled: not a failure to report
    }
  }
  if (last6xx !== undefined) return last6xx;
  if (lastReal !== undefined) return lastReal;
  if (timeouts > 0 && transport === 0) return 408;
  return 503;
}
