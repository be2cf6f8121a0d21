/**
 * One carrier's recent requests (INVITEs and answered probes) and the newest one it answered on
 * time: the witness record another carrier's slowness is judged against (src/health/blame.ts).
 * Send times are kept for `keepMs`, in order (probe results arrive after their round, so a send may
 * be inserted a little behind the newest).
 */
export class RoundTrips {
  private sends: number[] = [];
  private head = 0;
  private onTimeSentAt = -Infinity;

  constructor(private readonly keepMs: number) {}

  sent(at: number): void {
    let i = this.sends.length;
    while (i > this.head && this.sends[i - 1]! > at) i--;
    this.sends.splice(i, 0, at);
    this.expire(at);
  }

  /** The carrier's first response to a request sent at `sentAt`, `latencyMs` later. */
  answered(sentAt: number, latencyMs: number, lateAfterMs: number): void {
    if (latencyMs <= lateAfterMs && sentAt > this.onTimeSentAt) this.onTimeSentAt = sentAt;
  }

  /** It answered on time a request sent at or after `t`. */
  answeredOnTimeSince(t: number): boolean {
    return this.onTimeSentAt >= t;
  }

  /** It was sent a request in [from, to]. */
  askedBetween(from: number, to: number): boolean {
    if (to < from) return false;
    let lo = this.head;
    let hi = this.sends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sends[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.sends.length && this.sends[lo]! <= to;
  }

  private expire(now: number): void {
    const cutoff = now - this.keepMs;
    while (this.head < this.sends.length && this.sends[this.head]! < cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sends.length) {
      this.sends = this.sends.slice(this.head);
      this.head = 0;
    }
  }
}
