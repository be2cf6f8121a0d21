/**
 * The carrier's outbound media path: each packet is held for a uniform random 0..jitterMs, but never
 * leaves before the packet sent ahead of it. Order is kept (no overtaking: a jittery path that
 * reorders is rarer than one that bunches); the price is that a long delay also delays what follows.
 */
import type { Random } from '../prng';

/** When a packet handed over at `now` leaves, given when the previous one leaves. */
export function departureTime(now: number, jitterMs: number, random: Random, previous: number): number {
  const at = jitterMs > 0 ? now + random() * jitterMs : now;
  return Math.max(at, previous);
}

interface Queued { at: number; send: () => void }

export class DelayLine {
  private readonly queue: Queued[] = [];
  private head = 0;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly random: Random, private readonly now: () => number = Date.now) {}

  /** Queue `send` to run after the jitter delay (at once when nothing is queued and jitterMs is 0). */
  push(jitterMs: number, send: () => void): void {
    const now = this.now();
    const at = departureTime(now, jitterMs, this.random, this.last);
    this.last = at;
    if (at <= now && this.head === this.queue.length) {
      send();
      return;
    }
    this.queue.push({ at, send });
    this.arm();
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Forget everything queued (the call ended). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private arm(): void {
    if (this.timer || this.head === this.queue.length) return;
    const wait = Math.max(0, this.queue[this.head]!.at - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = this.now();
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now + 0.5) this.queue[this.head++]!.send();
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }
}
