/**
 * Receiver statistics for one SSRC, after RFC 3550 Appendix A.1 (extended highest sequence number
 * with wrap-around cycles), A.3 (expected and lost) and A.8 (interarrival jitter). No probation: the
 * first packet seen starts the count, so packets lost before it are not counted as lost.
 */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

export interface ReceiveSummary {
  received: number;
  /** Extended highest − first sequence number + 1. */
  expected: number;
  /** expected − received (negative when duplicates arrived). */
  lost: number;
  duplicates: number;
  /** RFC 3550 interarrival jitter estimate, in ms. */
  jitterMs: number;
  /** Largest gap between two arrivals, in ms. */
  maxGapMs: number;
}

export class ReceiveStats {
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private duplicates = 0;
  private started = false;
  private jitter = 0;
  private lastTransit: number | undefined;
  private lastArrival: number | undefined;
  private maxGap = 0;
  private readonly seen = new Set<number>();

  /** @param clockRate RTP timestamp units per second (8000 for G.711). */
  constructor(private readonly clockRate = 8000) {}

  /** One packet: its sequence number, RTP timestamp, and arrival time in ms. */
  add(seq: number, timestamp: number, arrivalMs: number): void {
    if (!this.started) {
      this.started = true;
      this.baseSeq = seq;
      this.maxSeq = seq;
    } else {
      const delta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
      if (delta === 0 || this.isDuplicate(seq)) {
        this.duplicates++;
        return;
      }
      if (delta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD;
        this.maxSeq = seq;
      } else if (delta <= SEQ_MOD - MAX_MISORDER) {
        // A jump too large to be loss: the sender restarted. Count from here (A.1 without probation).
        this.baseSeq = seq;
        this.maxSeq = seq;
        this.cycles = 0;
        this.received = 0;
        this.seen.clear();
      } // else: late (reordered) packet within MAX_MISORDER, counted below, max unchanged
    }
    this.remember(seq);
    this.received++;
    this.arrival(timestamp, arrivalMs);
  }

  /** RFC 3550 §6.4.1 "extended highest sequence number received" (cycles × 2^16 + highest). */
  extendedMax(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  /** Interarrival jitter in timestamp units, as an RTCP report block carries it. */
  jitterUnits(): number {
    return Math.floor(this.jitter);
  }

  summary(): ReceiveSummary {
    const expected = this.started ? this.cycles + this.maxSeq - this.baseSeq + 1 : 0;
    return {
      received: this.received, expected, lost: expected - this.received, duplicates: this.duplicates,
      jitterMs: (this.jitter / this.clockRate) * 1000, maxGapMs: this.maxGap,
    };
  }

  private arrival(timestamp: number, arrivalMs: number): void {
    if (this.lastArrival !== undefined) this.maxGap = Math.max(this.maxGap, arrivalMs - this.lastArrival);
    this.lastArrival = arrivalMs;
    // A.8: transit time in timestamp units; J += (|D| − J) / 16. Differences modulo 2^32 via int32.
    const transit = (arrivalMs * this.clockRate) / 1000 - timestamp;
    if (this.lastTransit !== undefined) {
      let d = transit - this.lastTransit;
      d = ((d % 2 ** 32) + 2 ** 32 + 2 ** 31) % 2 ** 32 - 2 ** 31;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  /** The last few hundred sequence numbers, to tell a duplicate from a late packet. */
  private isDuplicate(seq: number): boolean {
    return this.seen.has(seq);
  }

  private remember(seq: number): void {
    this.seen.add(seq);
    if (this.seen.size > 2 * MAX_MISORDER) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
