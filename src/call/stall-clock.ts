/**
 * When was trunkwise itself stalled? A 50 ms heartbeat notes every gap longer than it should be
 * (event-loop lag: GC, a busy loop, an overloaded machine). The call layer subtracts those stalls
 * from the latencies it reports for a carrier, and a "no response" that overlapped one is local
 * (issue 9: delay inside the edge never takes a carrier out of service).
 */
const BEAT_MS = 50;
const KEEP_MS = 120_000;

export class StallClock {
  private last = Date.now();
  private readonly stalls: Array<{ from: number; to: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly toleranceMs: number) {}

  start(): void {
    this.last = Date.now();
    this.timer = setInterval(() => this.beat(Date.now()), BEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One heartbeat at `now` (exposed for tests). */
  beat(now: number): void {
    const gap = now - this.last;
    if (gap - BEAT_MS > this.toleranceMs) this.stalls.push({ from: this.last + BEAT_MS, to: now });
    this.last = now;
    while (this.stalls.length > 0 && this.stalls[0]!.to < now - KEEP_MS) this.stalls.shift();
  }

  /** Milliseconds of [from, to] during which trunkwise was stalled, as far as the heartbeat saw. */
  stalledWithin(from: number, to: number): number {
    let ms = 0;
    for (const s of this.stalls) ms += Math.max(0, Math.min(to, s.to) - Math.max(from, s.from));
    return ms;
  }
}
