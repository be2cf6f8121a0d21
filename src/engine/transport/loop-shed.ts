/**
 * Overload shedding for what the main thread receives itself: TCP, and UDP in the inline mode. The
 * rule is the ingress thread's (shed.ts) — while the main thread is behind, a NEW call (an
 * out-of-dialog INVITE seen for the first time) gets a stateless 503 + Retry-After (RFC 3261 §21.5.4)
 * within the 503 budget, else nothing; responses, in-dialog requests, ACK/BYE/CANCEL and INVITEs
 * already admitted always pass; a shed INVITE seen again is shed again — but "behind" is the main
 * thread's own lag (loop-lag.ts), since here no queue stands between the socket and the handler.
 */
import type { SipResponse, Target, TransportProtocol } from '../../sip/message';
import type { TransportLimits } from './limits';
import { OverloadShedder, PRESSURE, SHARED_SLOTS, shedByReason, shedResponse, type ShedReason } from './shed';

/** pass: hand it on; else it was shed, with the 503 to send (undefined: dropped, budget spent). */
export type LoopShedVerdict = { pass: true } | { pass: false; reason: ShedReason; answer: { res: SipResponse; target: Target } | undefined };

const PASS: LoopShedVerdict = { pass: true };

export class LoopShedder {
  /** Counters in the same slots as the ingress thread's (shed.ts PRESSURE). */
  readonly counters = new Float64Array(SHARED_SLOTS);
  private readonly shedder: OverloadShedder;

  constructor(private readonly limits: TransportLimits, lag: { lagMs(): number }, readonly protocol: TransportProtocol) {
    this.shedder = new OverloadShedder(limits, this.counters, () => lag.lagMs());
  }

  check(data: Uint8Array, source: Target, now: number): LoopShedVerdict {
    if (this.shedder.classify(data, now) !== 'shed') return PASS;
    const reason = this.shedder.lastReason;
    const answer = this.shedder.take(now) ? shedResponse(data, source, this.limits.shedRetryAfterS) : undefined;
    return { pass: false, reason, answer };
  }

  get shed(): number {
    return this.counters[PRESSURE.shed]!;
  }

  get answered503(): number {
    return this.counters[PRESSURE.shedAnswered503]!;
  }

  byReason(): Record<ShedReason, number> {
    return shedByReason(this.counters);
  }
}
