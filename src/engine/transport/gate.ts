/**
 * The ingress gate: the cheap checks every received message passes before anything parses it, in
 * order of cost — admission by source address, per-source rate, size. It runs where the bytes arrive:
 * in the UDP ingress thread (udp-thread.ts) and on the main thread for TCP, with the same rules.
 *
 * Its counters live in a Float64Array so the UDP thread can keep them in shared memory that the main
 * thread reads for engine stats without any message passing.
 */
import type { TransportLimits } from './limits';
import { SourceRateLimiter, TokenBucket } from './rate-limit';
import type { SourceAdmission } from './admission';

/** pass: hand on; foreign: a request from outside the allowlist that may get a stateless 403; drop. */
export type GateVerdict = 'pass' | 'foreign' | 'drop';

/** Slots of the counter array (each a monotonic counter). */
export const GATE = { received: 0, rateLimited: 1, refusedForeign: 2, oversize: 3 } as const;
export const GATE_SLOTS = 4;

/** 'overload': a new INVITE shed while the main thread is behind (shed.ts), counted there, not here. */
export type DropReason = 'foreign' | 'rate-limit' | 'oversize' | 'overload';

/** "SIP/" starts every response and no request (a method token cannot contain "/"). */
export const isResponseBytes = (d: Uint8Array): boolean => d.length > 4 && d[0] === 0x53 && d[1] === 0x49 && d[2] === 0x50 && d[3] === 0x2f;

export class IngressGate {
  private readonly requests: SourceRateLimiter;
  private readonly responses: SourceRateLimiter;
  private readonly foreign: SourceRateLimiter;
  private readonly foreignBudget: TokenBucket;
  /** Why the last 'drop' verdict was given (for rate-limited logging by the caller). */
  lastDrop: DropReason = 'foreign';

  constructor(
    private readonly limits: TransportLimits,
    readonly admission: SourceAdmission,
    readonly counters: Float64Array = new Float64Array(GATE_SLOTS),
  ) {
    const n = limits.maxTrackedSources;
    this.requests = new SourceRateLimiter(limits.perSourceRate, limits.perSourceBurst, n, 'evict');
    this.responses = new SourceRateLimiter(limits.responseRate, limits.responseBurst, n, 'evict');
    this.foreign = new SourceRateLimiter(limits.foreignRate, limits.foreignBurst, n, 'deny');
    this.foreignBudget = new TokenBucket(limits.foreignRejectRate, limits.foreignRejectRate);
  }

  check(data: Uint8Array, address: string, now: number): GateVerdict {
    const c = this.counters;
    c[GATE.received]!++;
    const response = isResponseBytes(data);
    // 1. Admission: a request from outside the allowlist costs one cached lookup. Responses are never
    //    refused here: they only count if they match one of our client transactions.
    if (!response && !this.admission.isAllowed(address)) {
      c[GATE.refusedForeign]!++;
      this.lastDrop = 'foreign';
      if (this.admission.foreign === 'drop' || data.length > this.limits.maxMessageBytes) return 'drop';
      return this.foreign.allow(address, now) && this.foreignBudget.take(now) ? 'foreign' : 'drop';
    }
    // 2. Per-source rate.
    if (!(response ? this.responses : this.requests).allow(address, now)) {
      c[GATE.rateLimited]!++;
      this.lastDrop = 'rate-limit';
      return 'drop';
    }
    // 3. Size.
    if (data.length > this.limits.maxMessageBytes) {
      c[GATE.oversize]!++;
      this.lastDrop = 'oversize';
      return 'drop';
    }
    return 'pass';
  }
}
