/**
 * A coarse timing wheel for the long transaction timers (B, F, H, D, J, L, M, C, K, I: seconds, not
 * milliseconds). At 600 calls/s tens of thousands of these are armed at once, each a Node Timeout
 * with its own closure; here a timer is a small entry in a per-slot array, and one interval turns
 * the wheel. A timer fires in the first turn at or after its due time: never early, at most one
 * resolution late (the RFC timers are lower bounds, not deadlines). Timers due in the same slot fire
 * in the order they were started.
 */
import type { TimerHandle } from './types';

/** A timer on the wheel, and its own handle: one object per timer, its cancel on the prototype. */
class Entry implements TimerHandle {
  constructor(
    public fn: (() => void) | undefined,
    private readonly wheel: TimingWheel,
  ) {}

  cancel(): void {
    if (!this.fn) return;
    this.fn = undefined;
    this.wheel.dropOne();
  }
}

export class TimingWheel {
  /** slot number (due time / resolution, rounded up) → entries due then. */
  private readonly slots = new Map<number, Entry[]>();
  /** First slot not yet run. */
  private cursor: number;
  private liveCount = 0;

  /**
   * @param resolutionMs slot width
   * @param onIdle / onBusy the driver: called when the wheel gets its first timer (start turning
   *   it, e.g. an interval calling advance) and when it has none left (stop)
   */
  constructor(
    readonly resolutionMs: number,
    now: number,
    private readonly onBusy: () => void = () => undefined,
    private readonly onIdle: () => void = () => undefined,
  ) {
    this.cursor = Math.floor(now / resolutionMs) + 1;
  }

  get size(): number {
    return this.liveCount;
  }

  schedule(now: number, ms: number, fn: () => void): TimerHandle {
    // Idle until now: nothing is pending, so the wheel may skip straight to the present.
    if (this.liveCount === 0) this.cursor = Math.max(this.cursor, Math.floor(now / this.resolutionMs) + 1);
    const slot = Math.max(this.cursor, Math.ceil((now + Math.max(0, ms)) / this.resolutionMs));
    const entry = new Entry(fn, this);
    const list = this.slots.get(slot);
    if (list) list.push(entry);
    else this.slots.set(slot, [entry]);
    if (this.liveCount++ === 0) this.onBusy();
    return entry;
  }

  /** Run every timer due at or before `now`. An exception from one is rethrown after the others ran. */
  advance(now: number): void {
    const last = Math.floor(now / this.resolutionMs);
    let failure: { err: unknown } | undefined;
    while (this.cursor <= last) {
      // The cursor moves past the slot before its timers run: one they start lands in a later slot.
      const slot = this.cursor++;
      const list = this.slots.get(slot);
      if (!list) continue;
      this.slots.delete(slot);
      for (const e of list) {
        const fn = e.fn;
        if (!fn) continue;
        e.fn = undefined;
        try {
          fn();
        } catch (err) {
          failure ??= { err };
        } finally {
          this.dropOne();
        }
      }
    }
    if (failure) throw failure.err;
  }

  /** One timer fired or cancelled; with none live, cancelled entries need not wait for their slots. (For Entry only.) */
  dropOne(): void {
    if (--this.liveCount === 0) {
      this.slots.clear();
      this.onIdle();
    }
  }
}
