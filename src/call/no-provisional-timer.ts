/**
 * How long an attempt waits for its carrier's first provisional (a 100 Trying is enough) before
 * giving up on it: a few round trips to that carrier, never shorter than a floor, never longer
 * than the route's configured attemptNoProvisionalMs.
 *
 *   timer = clamp(rttFactor × RTT, floorMs, maxMs)      RTT unknown → maxMs
 *
 * A carrier sends 100 Trying as soon as it has the INVITE (RFC 3261 §8.2.6.1, §16.2), so it normally
 * arrives one round trip after the INVITE; 4 round trips leave room for jitter and a busy carrier.
 * The floor keeps a near-zero RTT (loopback, same datacenter) from making the timer meaninglessly
 * short: 400 ms is under the first UDP retransmission (T1 = 500 ms), so a silent carrier costs an
 * alarm call at most 0.4 s, and still above the few ms a healthy carrier needs. With floorMs equal
 * to maxMs the timer does not adapt at all (the behaviour before this policy).
 *
 * Only where a crank can follow: giving up early is a bet that another carrier answers sooner. The
 * call's last attempt has no other carrier, so it always waits maxMs — a timer cut to the RTT could
 * there only turn a late 100, or a lost INVITE that its first retransmission would have carried,
 * into a failed call (all carriers losing 10 %: three 400 ms attempts each losing one INVITE → 408).
 */
export interface NoProvisionalPolicy {
  /** The route's attemptNoProvisionalMs: the timer is never longer. */
  readonly maxMs: number;
  /** The timer is never shorter (unless maxMs is). */
  readonly floorMs: number;
  /** Round trips to wait. */
  readonly rttFactor: number;
}

export const DEFAULT_FLOOR_MS = 400;
export const DEFAULT_RTT_FACTOR = 4;

export function noProvisionalTimerMs(rttMs: number | undefined, p: NoProvisionalPolicy, lastAttempt = false): number {
  if (lastAttempt) return p.maxMs;
  // Nothing measured yet (a new carrier, or no recent answers): trust only the configured value.
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return p.maxMs;
  const floor = Math.min(p.floorMs, p.maxMs);
  return Math.round(Math.min(p.maxMs, Math.max(floor, p.rttFactor * rttMs)));
}
