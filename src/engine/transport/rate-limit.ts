/**
 * Per-source token buckets so one noisy peer cannot starve the others. Buckets for sources that
 * have gone quiet are swept so the table cannot grow without bound.
 */
interface Bucket {
  tokens: number;
  last: number;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private dropped = 0;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly maxSources = 100_000,
  ) {}

  /** true when a message from `source` at time `now` (ms) may be processed. */
  allow(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= this.maxSources) this.sweep(now);
      b = { tokens: this.burst, last: now };
      this.buckets.set(source, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) / 1000) * this.ratePerSec);
    b.last = now;
    if (b.tokens < 1) {
      this.dropped++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.last > 10_000) this.buckets.delete(k);
    if (this.buckets.size >= this.maxSources) this.buckets.clear();
  }
}
