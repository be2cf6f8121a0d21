/**
 * The last resort for an INVITE handed to an application that never answers it (fuzz/findings.md #8:
 * re-INVITEs sat in Proceeding for ever, 100 Trying sent, no timer armed, so nothing would end
 * them). drachtio-server waits for ever; the engine answers in the application's place, and says so:
 *  - an initial INVITE after timer C (RFC 3261 §16.6 step 11, > 3 min; restarted by every
 *    provisional the application sends, as a proxy restarts it) gets 408 Request Timeout;
 *  - a re-INVITE after 2·64·T1 — twice the far leg's own timer B, so a B2BUA relaying it has long
 *    had its answer or its 408 — gets 500 with Retry-After (RFC 3261 §14.2's answer to a re-INVITE
 *    that cannot be handled now): the session is unchanged and the call goes on.
 * An application that answers in time never meets it.
 */
import type { TimerHandle } from '../transaction/types';
import { DEFAULT_TIMER_C } from '../transaction/types';
import type { CoreContext } from './context';

export interface GuardVerdict {
  status: number;
  reason: string;
  headers: Array<{ name: string; value: string }>;
}

/** How long the application may take to answer, and what the engine sends when it did not. */
export function answerGuard(ctx: CoreContext, reinvite: boolean): { ms: number; verdict: GuardVerdict } {
  if (reinvite) {
    return { ms: 2 * 64 * ctx.timers.T1, verdict: { status: 500, reason: 'Server Internal Error', headers: [{ name: 'Retry-After', value: String(Math.floor(Math.random() * 11)) }] } };
  }
  return { ms: ctx.timers.C ?? DEFAULT_TIMER_C, verdict: { status: 408, reason: 'Request Timeout', headers: [] } };
}

/** (Re)arm the guard of one INVITE: `fire` runs once after the guard's time unless cancelled or re-armed first. */
export function armGuard(ctx: CoreContext, previous: TimerHandle | undefined, reinvite: boolean, fire: (v: GuardVerdict, ms: number) => void): TimerHandle {
  previous?.cancel();
  const { ms, verdict } = answerGuard(ctx, reinvite);
  return ctx.clock.setTimer(ms, () => fire(verdict, ms));
}
