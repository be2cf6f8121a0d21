/**
 * The last N OPTIONS probe results of one carrier (a ring), with RTT smoothed as RFC 6298 does for
 * TCP: EWMA with α = 1/8 and a mean deviation (jitter) with β = 1/4.
 */
import type { ProbeResult } from './types';

export interface ProbeSummary {
  readonly samples: number;
  /** Probes with no alive answer within the per-probe timeout (lost, or a non-alive code). */
  readonly lost: number;
  /** Alive answers that came after `lateAfterMs`: the request was (almost surely) retransmitted. */
  readonly late: number;
  readonly rttMs: number | undefined;
  readonly jitterMs: number | undefined;
}

export class ProbeWindow {
  private readonly ring: ProbeResult[] = [];
  private next = 0;
  private srtt: number | undefined;
  private rttvar: number | undefined;

  constructor(private readonly size: number) {}

  add(r: ProbeResult): void {
    if (this.ring.length < this.size) this.ring.push(r);
    else this.ring[this.next] = r;
    this.next = (this.next + 1) % this.size;
    if (r.kind !== 'alive') return;
    if (this.srtt === undefined || this.rttvar === undefined) {
      this.srtt = r.rttMs;
      this.rttvar = r.rttMs / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r.rttMs);
    this.srtt = 0.875 * this.srtt + 0.125 * r.rttMs;
  }

  summary(lateAfterMs: number): ProbeSummary {
    let lost = 0;
    let late = 0;
    for (const r of this.ring) {
      if (r.kind !== 'alive') lost++;
      else if (r.rttMs > lateAfterMs) late++;
    }
    return { samples: this.ring.length, lost, late, rttMs: this.srtt, jitterMs: this.rttvar };
  }

  clear(): void {
    this.ring.length = 0;
    this.next = 0;
  }
}
