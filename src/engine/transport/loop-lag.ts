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

/** Milliseconds since the epoch with sub-millisecond precision, comparable across threads (performance.now() is per thread). */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/** Slots of a published heartbeat: when the last beat ran (wallClock; 0 = not running) and how late it ran. */
const BOARD_LAST = 0;
const BOARD_LATE = 1;
export const LAG_BOARD_SLOTS = 2;

export class LoopLag {
  private last = performance.now();
  private lateMs = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `board`: shared memory where each beat is published for another thread (sharedLagReader); the
   * clock must then be wallClock, which both threads read alike.
   */
  constructor(private readonly intervalMs = LOOP_LAG_INTERVAL_MS, private readonly clock: () => number = () => performance.now(), private readonly board?: Float64Array) {}

  start(): void {
    if (this.timer) return;
    this.last = this.clock();
    this.lateMs = 0;
    this.publish();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.board) this.board[BOARD_LAST] = 0;
  }

  /** The heartbeat (public for tests with their own clock). */
  beat(): void {
    const now = this.clock();
    this.lateMs = Math.max(0, now - this.last - this.intervalMs);
    this.last = now;
    this.publish();
  }

  private publish(): void {
    if (!this.board) return;
    this.board[BOARD_LATE] = this.lateMs;
    this.board[BOARD_LAST] = this.last;
  }

  /** Milliseconds the main thread is behind now (0 when the heartbeat is on time, or not started). */
  lagMs(): number {
    if (!this.timer) return 0;
    return Math.max(this.lateMs, this.clock() - this.last - this.intervalMs, 0);
  }
}

/**
 * How far behind the thread publishing its beats in `board` is now, by lagMs()'s rule, read from any
 * thread without a message: 0 while that thread's LoopLag is not running.
 */
export function sharedLagReader(board: Float64Array, intervalMs = LOOP_LAG_INTERVAL_MS, clock: () => number = wallClock): () => number {
  return () => {
    const last = board[BOARD_LAST]!;
    if (last === 0) return 0;
    return Math.max(board[BOARD_LATE]!, clock() - last - intervalMs, 0);
  };
}
