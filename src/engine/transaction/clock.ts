/**
 * The real clock (long timers on a coarse timing wheel, short ones on Node timers), and a fake one
 * tests advance by hand to check every timer exactly.
 */
import type { Clock, TimerHandle } from './types';
import { TimingWheel } from './timing-wheel';

/** Timers this long or longer go on the coarse wheel; shorter ones (retransmissions) stay exact. */
export const WHEEL_MIN_MS = 4000;
export const WHEEL_RESOLUTION_MS = 100;

let turning: NodeJS.Timeout | undefined;
const wheel: TimingWheel = new TimingWheel(WHEEL_RESOLUTION_MS, Date.now(), () => {
  turning = setInterval(() => wheel.advance(Date.now()), WHEEL_RESOLUTION_MS);
  turning.unref();
}, () => {
  clearInterval(turning);
  turning = undefined;
});

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    if (ms >= WHEEL_MIN_MS) return wheel.schedule(Date.now(), ms, fn);
    const h = setTimeout(fn, ms);
    h.unref();
    return { cancel: () => clearTimeout(h) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  /** Move time forward, running due timers in time order (including ones scheduled meanwhile). */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      const next = this.timers.reduce<FakeTimer | undefined>((a, b) => (!a || b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a), undefined);
      if (!next || next.at > until) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = until;
  }

  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}
