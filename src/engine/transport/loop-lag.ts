/**
 * How far behind the main thread is, measured by the main thread itself: a heartbeat timer notes
 * when it ran. Between two beats the lag is the larger of
 * - how late the last beat ran (a loop kept busy by a stream of callbacks makes every beat late), and
 * - how overdue the next beat is now (a loop stalled in one long callback runs no timer at all: the
 *   I/O that piled up meanwhile is handled, in the same loop turn, before the beat can say so).
 * The second is what makes it honest for a message handled right after a stall: it waited at least as
 * long as the beat is overdue. Cost: one timer callback per interval, one clock read per question.
 * perf_hooks' monitorEventLoopDelay measures the same thing but only hands out a histogram after the
 * fact, which cannot answer "now".
 */
import { performance } from 'node:perf_hooks';

export const LOOP_LAG_INTERVAL_MS = 50;

export class LoopLag {
  private last = performance.now();
  private lateMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = LOOP_LAG_INTERVAL_MS, private readonly clock: () => number = () => performance.now()) {}

  start(): void {
    if (this.timer) return;
    this.last = this.clock();
    this.lateMs = 0;
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The heartbeat (public for tests with their own clock). */
  beat(): void {
    const now = this.clock();
    this.lateMs = Math.max(0, now - this.last - this.intervalMs);
    this.last = now;
  }

  /** Milliseconds the main thread is behind now (0 when the heartbeat is on time, or not started). */
  lagMs(): number {
    if (!this.timer) return 0;
    return Math.max(this.lateMs, this.clock() - this.last - this.intervalMs, 0);
  }
}
