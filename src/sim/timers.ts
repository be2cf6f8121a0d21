/**
 * RFC 3261 timer values and the two timer tools the simulator needs: a TimerSet that can clear
 * everything a carrier scheduled (stop() must leave nothing behind), and a retransmitter that sends
 * at T1, 2·T1, 4·T1 … capped at T2 until stopped or until 64·T1 has passed.
 */
export interface SimTimings {
  /** RTT estimate, 500 ms. */
  t1: number;
  /** Cap on the retransmission interval, 4 s. */
  t2: number;
  /** 64·T1 = 32 s: Timers B/F/H/J, how long an un-ACKed call or an ended dialog is remembered. */
  tMax: number;
  /** Hard cap on any call's life (a UAC that never sends BYE or CANCEL). */
  maxCallMs: number;
}

export const DEFAULT_TIMINGS: SimTimings = Object.freeze({ t1: 500, t2: 4000, tMax: 32_000, maxCallMs: 3_600_000 });

/** The interval after `current` (RFC 3261 §17.1.2.2 Timer E / §17.2.1 Timer G / §13.3.1.4). */
export const nextInterval = (current: number, t2: number): number => Math.min(current * 2, t2);

/** The send times (ms after the first send) of every retransmission within `deadline`. */
export function retransmitSchedule(t1: number, t2: number, deadline: number): number[] {
  const out: number[] = [];
  let at = 0;
  let interval = t1;
  for (let i = 0; i < 1000; i++) {
    at += interval;
    if (at >= deadline) break;
    out.push(at);
    interval = nextInterval(interval, t2);
  }
  return out;
}

export type TimerHandle = ReturnType<typeof setTimeout>;

export class TimerSet {
  private readonly live = new Set<TimerHandle>();

  after(ms: number, fn: () => void): TimerHandle {
    const h = setTimeout(() => {
      this.live.delete(h);
      fn();
    }, ms);
    this.live.add(h);
    return h;
  }

  cancel(h: TimerHandle | undefined): void {
    if (h === undefined) return;
    clearTimeout(h);
    this.live.delete(h);
  }

  clearAll(): void {
    for (const h of this.live) clearTimeout(h);
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}

export interface Retransmission {
  stop(): void;
  /** A provisional response arrived (client side): retransmit at T2 from now on (Timer E in Proceeding). */
  slowDown(): void;
}

export interface RetransmitOptions {
  timers: TimerSet;
  timings: SimTimings;
  send: () => void;
  /** false on reliable transports: no retransmissions, only the give-up deadline. */
  retransmit: boolean;
  onGiveUp: () => void;
}

/** Send now, then retransmit (if asked) until stop(); after 64·T1 call onGiveUp. */
export function startRetransmission(o: RetransmitOptions): Retransmission {
  let interval = o.timings.t1;
  let timer: TimerHandle | undefined;
  let stopped = false;
  const deadline = o.timers.after(o.timings.tMax, () => {
    stopped = true;
    o.timers.cancel(timer);
    o.onGiveUp();
  });
  const arm = (): void => {
    if (!o.retransmit || stopped) return;
    timer = o.timers.after(interval, () => {
      if (stopped) return;
      o.send();
      interval = nextInterval(interval, o.timings.t2);
      arm();
    });
  };
  o.send();
  arm();
  return {
    stop: () => {
      stopped = true;
      o.timers.cancel(timer);
      o.timers.cancel(deadline);
    },
    slowDown: () => {
      if (stopped) return;
      interval = o.timings.t2;
      o.timers.cancel(timer);
      arm();
    },
  };
}
