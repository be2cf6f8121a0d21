/**
 * carriers.yaml `upstream:` — how this edge answers the IVR platform's OPTIONS (src/sites/
 * upstream-health.ts). Each case that can make the edge say "send your calls elsewhere" (503) is
 * switched on or off on its own, with its own Retry-After. `enabled: false` answers 200 always
 * (the plain set-up the outage lab compares with).
 */
import type { RawUpstream } from './schema';

export interface UpstreamCase {
  /** Answer 503 in this case. */
  readonly unavailable: boolean;
  /** Retry-After seconds on the 503. */
  readonly retryAfterS: number;
  /**
   * Once 503 for this case, stay 503 until the case has been clear for this many seconds (0: answer
   * 200 as soon as it clears). A flap damper: a site sick enough to be left once is not offered back
   * to the IVR on every lucky moment (the outage lab at 5 % loss: 503/200 every few seconds).
   */
  readonly holdS: number;
}

export interface UpstreamConfig {
  readonly enabled: boolean;
  /** SIGTERM drain or a site drain (admin API / drill). */
  readonly draining: UpstreamCase;
  /** The health monitor's local-fault guard is raised. */
  readonly localFault: UpstreamCase;
  /** No carrier is usable (every one down, probing, drained or disabled). */
  readonly noCarrier: UpstreamCase;
}

export const UPSTREAM_DEFAULTS: UpstreamConfig = {
  enabled: true,
  draining: { unavailable: true, retryAfterS: 30, holdS: 0 },
  localFault: { unavailable: true, retryAfterS: 10, holdS: 15 },
  noCarrier: { unavailable: true, retryAfterS: 5, holdS: 0 },
};

export function buildUpstream(raw: RawUpstream | undefined): UpstreamConfig {
  const r = raw ?? {};
  const one = (k: 'draining' | 'localFault' | 'noCarrier'): UpstreamCase => ({ ...UPSTREAM_DEFAULTS[k], ...r[k] });
  return { enabled: r.enabled ?? UPSTREAM_DEFAULTS.enabled, draining: one('draining'), localFault: one('localFault'), noCarrier: one('noCarrier') };
}
