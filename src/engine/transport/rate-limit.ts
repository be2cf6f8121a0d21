/**
 * Token buckets keyed by source address, in a table of bounded size, so one noisy peer cannot starve
 * the others and a spread of sources cannot grow memory without bound.
 *
 * A bucket idle for longer than its full-refill time (burst / rate) is indistinguishable from a new
 * one, so sweeping those out loses nothing. When the table is full of active sources, a new source
 * either evicts the oldest entry (`evict`: allowed peers, a bounded trusted set) or is refused
 * (`deny`: foreign peers — failing closed is the point).
 */
interface Bucket {
  tokens: number;
  last: number;
}

export type WhenFull = 'evict' | 'deny';

/** A single bucket (a global budget). */
export class TokenBucket {
  private tokens: number;
  private last = 0;

  constructor(private readonly ratePerSec: number, private readonly burst: number) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillMs: number;
  private lastSweep = -Infinity;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly maxSources = 16_384,
    private readonly whenFull: WhenFull = 'evict',
  ) {
    this.refillMs = (burst / ratePerSec) * 1000;
  }

  /** true when a message from `source` at time `now` (ms) may be processed. */
  allow(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= this.maxSources && !this.makeRoom(now)) return false;
      b = { tokens: this.burst, last: now };
      this.buckets.set(source, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.last) / 1000) * this.ratePerSec);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private makeRoom(now: number): boolean {
    // A full sweep is O(n): at most every 100 ms, so a flood of new sources cannot make it the hot path.
    if (now - this.lastSweep >= 100) {
      this.lastSweep = now;
      for (const [k, b] of this.buckets) if (now - b.last >= this.refillMs) this.buckets.delete(k);
      if (this.buckets.size < this.maxSources) return true;
    }
    if (this.whenFull === 'deny') return false;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
    return true;
  }
}
