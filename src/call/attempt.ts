/**
 * One outbound attempt to one carrier: INVITE via srf.createUAC, settled by whichever comes first —
 * the carrier's answer or final response, the per-attempt timers (no provisional within N ms, no
 * answer within M ms after ringing) or the caller's CANCEL. The call's setup deadline bounds when
 * an attempt may start and how long it may wait for a first provisional; once a carrier is ringing
 * the callee, only the no-answer timer ends it (cutting a ringing alarm call short helps nobody).
 *
 * An abandoned attempt is CANCELled; should its 200 still arrive, the engine ACKs and BYEs it
 * (drachtio's CANCEL/200 race handling) and the late dialog is destroyed here as well.
 */
import type Srf from 'drachtio-srf';
import type { AttemptFailure } from '../routing';
import type { CallSipPort, SentInvite } from './sip-port';

/** trunkwise itself failed while placing the attempt (never the carrier's fault, never retried). */
export interface InternalFailure { kind: 'internal'; message: string }

/** How an attempt ended: routing's failure kinds (what the crankback decision reads), answered, or our own failure. */
export type AttemptOutcome = AttemptFailure | InternalFailure | { kind: 'answered'; dialog: Srf.Dialog; status: 200 };

export interface AttemptTimers {
  noProvisionalMs: number;
  noAnswerMs: number;
  /** Time left before the call's setup deadline (caps the no-provisional wait). */
  remainingMs: number;
}

export interface AttemptHooks {
  /** A provisional > 100 arrived (180/183), for relaying to the caller. */
  onProvisional(res: Srf.SrfResponse): void;
  /** First provisional of any kind (100 included): the carrier is alive. */
  onFirstProvisional(ms: number): void;
  /** The first provisional came only after the attempt was given up (its timer was too short for this carrier). */
  onLateFirstProvisional?(ms: number): void;
}

export interface AttemptHandle {
  done: Promise<AttemptOutcome>;
  /** The caller cancelled: CANCEL this attempt and settle as 'cancelled'. */
  cancel(): void;
  /** How late (ms) this attempt's timers fired at worst: the edge's own stall, not the carrier's. */
  timerLateMs(): number;
  /**
   * Health took the carrier down: if nothing at all was heard from it yet, CANCEL and settle as a
   * no-provisional timeout now (crankback). Returns whether it did; a ringing attempt is left alone.
   */
  carrierDown(): boolean;
  /** This attempt was given up by carrierDown (its carrier is already down: not a new health verdict). */
  abandonedAsDown(): boolean;
}

/** A timer firing this much after it was due means trunkwise's event loop itself was stalled. */
export const LAG_TOLERANCE_MS = 200;
/** After a late timer, responses that queued behind the stall are read before the attempt is judged. */
const STALL_GRACE_MS = 250;

interface SipErrorLike {
  status?: number;
  reason?: string;
  message?: string;
  res?: { status?: number; get(name: string): string | undefined };
}

export function startAttempt(sip: CallSipPort, uri: string, opts: Srf.CreateUACOptions, timers: AttemptTimers, hooks: AttemptHooks): AttemptHandle {
  const started = Date.now();
  let sent: SentInvite | undefined;
  let settled = false;
  let provisional = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: (o: AttemptOutcome) => void = () => undefined;
  const done = new Promise<AttemptOutcome>((r) => (resolveDone = r));

  const settle = (o: AttemptOutcome): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolveDone(o);
  };
  const abandon = (o: AttemptOutcome): void => {
    if (settled) return;
    // CANCEL now, or the engine holds it until a provisional (RFC 3261 §9.1). Not sent yet: the
    // onSent callback below cancels as soon as it is.
    sent?.cancel();
    settle(o);
  };
  let lateMs = 0;
  let downAbandoned = false;
  const arm = (ms: number, phase: 'no-provisional' | 'no-answer'): void => {
    clearTimeout(timer);
    const due = Date.now() + ms;
    timer = setTimeout(() => {
      const late = Date.now() - due;
      lateMs = Math.max(lateMs, late);
      // Fired late: the carrier's answer may be waiting in the socket behind our own stall (timers
      // run before I/O after a blocked loop). Read it first; a provisional re-arms `timer`.
      if (late > LAG_TOLERANCE_MS) timer = setTimeout(() => abandon({ kind: 'timeout', phase }), STALL_GRACE_MS);
      else abandon({ kind: 'timeout', phase });
    }, ms);
  };
  arm(Math.min(timers.noProvisionalMs, timers.remainingMs), 'no-provisional');

  try {
    sip.createUac(uri, opts, {
      onSent: (s) => {
        sent = s;
        if (settled) s.cancel();
      },
      onProvisional: (p) => {
        if (settled) {
          if (!provisional && !downAbandoned) hooks.onLateFirstProvisional?.(Date.now() - started);
          provisional = true;
          return;
        }
        if (!provisional) {
          provisional = true;
          hooks.onFirstProvisional(Date.now() - started);
          arm(timers.noAnswerMs, 'no-answer');
        }
        if (p.status > 100) hooks.onProvisional(p);
      },
    }).then(
      (dialog) => {
        if (settled) {
          dialog.destroy({ headers: {} }, () => undefined); // a late answer to an abandoned attempt
          return;
        }
        settle({ kind: 'answered', dialog, status: 200 });
      },
      (err: SipErrorLike) => settle(classifyFailure(err)),
    ).catch((err: Error) => settle({ kind: 'internal', message: err.message }));
  } catch (err) {
    // Thrown before the INVITE left (srf asserts on its arguments): ours, not the carrier's.
    settle({ kind: 'internal', message: (err as Error).message });
  }

  return {
    done, cancel: () => abandon({ kind: 'cancelled' }), timerLateMs: () => lateMs,
    carrierDown: () => {
      if (settled || provisional) return false;
      downAbandoned = true;
      abandon({ kind: 'timeout', phase: 'no-provisional' });
      return true;
    },
    abandonedAsDown: () => downAbandoned,
  };
}

/**
 * The engine (like drachtio-server) reports its own timeouts and transport failures as 408 / 503
 * responses. Those carry no To tag — a real carrier's final response always does — which is how a
 * synthetic 503 (unreachable) is told apart from a carrier's own 503. An error with no SIP status
 * at all (the SIP stack refused the request, an exception in srf) is trunkwise's own failure.
 */
export function classifyFailure(err: SipErrorLike): AttemptFailure | InternalFailure {
  if (typeof err.status !== 'number') return { kind: 'internal', message: err.message ?? String(err) };
  // drachtio-srf refuses a 2xx it cannot use (no Contact) with a 500 of its own: the carrier's fault, 502.
  const unusable2xx = err.res?.status !== undefined && err.res.status >= 200 && err.res.status < 300;
  const status = unusable2xx ? 502 : err.status;
  const to = err.res?.get('To') ?? err.res?.get('to') ?? '';
  const fromPeer = /;\s*tag=/i.test(to);
  if (!fromPeer && status === 503) return { kind: 'transport-error' };
  if (!fromPeer && status === 408) return { kind: 'timeout', phase: 'no-provisional' };
  return { kind: 'response', status, reason: err.reason ?? '' };
}
