/**
 * Paced sending at a fixed packet interval. Node timers drift late, so each tick sends as many
 * packets as the wall clock says are due since the start (the average rate stays exact), with a cap
 * so a stalled event loop does not come back with a burst of a second's worth of packets.
 */
export const MAX_CATCH_UP = 5;

/** Packets due at `nowMs` for a stream started at `startMs` that has sent `sent` so far (packet 0 at start). */
export function packetsDue(startMs: number, nowMs: number, sent: number, intervalMs: number, maxBurst = MAX_CATCH_UP): number {
  if (nowMs < startMs) return 0;
  const due = Math.floor((nowMs - startMs) / intervalMs) + 1 - sent;
  return Math.max(0, Math.min(due, maxBurst));
}

export class Pacer {
  private timer: ReturnType<typeof setInterval> | undefined;
  private sent = 0;
  private start = 0;

  constructor(private readonly intervalMs: number, private readonly emit: () => void, private readonly now: () => number = Date.now) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  begin(): void {
    if (this.timer) return;
    this.start = this.now();
    this.sent = 0;
    this.tick();
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.intervalMs / 2)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const n = packetsDue(this.start, this.now(), this.sent, this.intervalMs);
    // A tick that had to skip packets (over the burst cap) moves the clock origin: those are not owed.
    if (n === MAX_CATCH_UP) this.start = this.now() - (this.sent + n - 1) * this.intervalMs;
    for (let i = 0; i < n; i++) {
      this.sent++;
      this.emit();
    }
  }
}
