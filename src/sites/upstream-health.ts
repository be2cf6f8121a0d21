/**
 * Upstream health: what this edge tells the IVR platform when it asks (OPTIONS). 200 while calls
 * can be placed here; 503 with Retry-After and a Reason header naming the cause while they should go
 * to another site — so the platform's own dispatcher (Kamailio dispatcher, FreeSWITCH gateway pings,
 * a drachtio app) moves by itself, with nobody awake. Pure: the caller passes in what it knows.
 *
 * The causes, first match wins:
 *   draining    — SIGTERM drain or an operator/drill site drain: we are leaving on purpose;
 *   localFault  — the health monitor suspects this edge (most carriers sick at once: our uplink,
 *                 not theirs), so calls placed here are likely to suffer what the carriers suffer;
 *   noCarrier   — no carrier is usable (down, probing, drained or disabled): a call placed here
 *                 could only fail or wait.
 */
import type { UpstreamCase, UpstreamConfig } from '../config/upstream';
import type { CarrierState } from '../routing';

export type UpstreamCause = 'draining' | 'localFault' | 'noCarrier';


export interface UpstreamInputs {
  /** Shutting down (SIGTERM) or the site is drained by an operator or a drill. */
  readonly draining: boolean;
  readonly localFault: boolean;
  readonly carrierStates: readonly CarrierState[];
}

export type UpstreamVerdict =
  | { readonly status: 200; readonly cause?: undefined }
  | {
    readonly status: 503; readonly cause: UpstreamCause; readonly retryAfterS: number; readonly text: string;
    /** The cause has cleared, but not yet for its holdS: ms until 200 (see holdUpstream). */
    readonly heldForMs?: number;
  };

/** The cause with a hold that was last seen, and when (ms). */
export interface UpstreamHold {
  readonly cause: UpstreamCause;
  readonly seenAt: number;
}

/** Carriers that take new calls without being a last resort (routing skips down/probing ones). */
const USABLE: ReadonlySet<CarrierState> = new Set(['active', 'degraded']);

const TEXT: Record<UpstreamCause, string> = {
  draining: 'site draining',
  localFault: 'local fault suspected',
  noCarrier: 'no carrier usable',
};

export function judgeUpstream(cfg: UpstreamConfig, s: UpstreamInputs): UpstreamVerdict {
  // Off: the plain set-up — always "come here" (the outage lab's baseline).
  if (!cfg.enabled) return { status: 200 };
  const cases: Array<[UpstreamCause, boolean, UpstreamCase]> = [
    ['draining', s.draining, cfg.draining],
    ['localFault', s.localFault, cfg.localFault],
    ['noCarrier', !s.carrierStates.some((x) => USABLE.has(x)), cfg.noCarrier],
  ];
  for (const [cause, holds, c] of cases) {
    if (holds && c.unavailable) return { status: 503, cause, retryAfterS: c.retryAfterS, text: TEXT[cause] };
  }
  return { status: 200 };
}

/**
 * The flap damper over judgeUpstream's fresh verdict: a cause with holdS > 0, once seen, keeps the
 * answer 503 until it has been clear for holdS — at 5 % uplink loss the local-fault verdict comes and
 * goes every few seconds, and each 200 would call the IVR's traffic back into the sick site. "Seen"
 * is sampled when the answer is asked for (every OPTIONS). A fresh 503 always wins (its own cause
 * and Retry-After); draining, being on purpose, has no hold by default. Pure.
 */
export function holdUpstream(cfg: UpstreamConfig, fresh: UpstreamVerdict, hold: UpstreamHold | undefined, now: number): { verdict: UpstreamVerdict; hold: UpstreamHold | undefined } {
  const next = fresh.status === 503 && cfg[fresh.cause].holdS > 0 ? { cause: fresh.cause, seenAt: now } : hold;
  if (fresh.status === 503 || next === undefined || !cfg.enabled) return { verdict: fresh, hold: cfg.enabled ? next : undefined };
  const c = cfg[next.cause];
  const left = next.seenAt + c.holdS * 1000 - now;
  // Switched off since (config reload), or clear for long enough: the hold is over.
  if (!c.unavailable || left <= 0) return { verdict: fresh, hold: undefined };
  return { verdict: { status: 503, cause: next.cause, retryAfterS: c.retryAfterS, text: TEXT[next.cause], heldForMs: left }, hold: next };
}

/**
 * What the edge supports, sent on the 200 (RFC 3261 §11.2): the methods it serves, the only body it
 * accepts (SDP; src/app's body check answers 415 otherwise), no content codings, and the extensions
 * the engine implements on both legs (100rel, session timers).
 */
export const CAPABILITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE',
  Accept: 'application/sdp',
  'Accept-Encoding': 'identity',
  'Accept-Language': 'en',
  Supported: '100rel, timer',
});

/** Response headers for a verdict: capabilities on 200; Retry-After and an RFC 3326 Reason on 503. */
export function upstreamHeaders(v: UpstreamVerdict): Record<string, string> {
  if (v.status === 200) return { ...CAPABILITY_HEADERS };
  return { 'Retry-After': String(v.retryAfterS), Reason: `SIP;cause=503;text="${v.text}"` };
}
