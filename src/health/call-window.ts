/**
 * One carrier's outbound attempts: ended ones over a sliding time window (failure ratio, post-dial
 * delay), and the ones still waiting for any response, for the reactive silence check — INVITEs
 * sent after the carrier last said anything and still unanswered.
 */
import type { AttemptVerdict } from './types';

interface Ended {
  readonly at: number;
  readonly verdict: AttemptVerdict;
  /** INVITE → first ringing or answer, when there was one. */
  readonly pddMs: number | undefined;
  /** INVITE → first response of any kind (100 Trying included), when there was one. */
  readonly firstResponseMs: number | undefined;
}

export interface CallSummary {
  /** Attempts judged (verdict ok or failure) in the window. */
  readonly samples: number;
  readonly failures: number;
  readonly pddSamples: number;
  readonly pddMedianMs: number | undefined;
  /** Attempts that got any response, and those whose first response came after `lateAfterMs`. */
  readonly responded: number;
  readonly late: number;
}

export class CallWindow {
  private ended: Ended[] = [];
  private head = 0;
  /** Attempt id → start time, for attempts with no response yet; insertion order = oldest first. */
  private readonly silent = new Map<number, number>();
  private nextId = 1;

  constructor(private readonly windowMs: number) {}

  started(now: number): number {
    const id = this.nextId++;
    this.silent.set(id, now);
    return id;
  }

  /** Any response (100 Trying included) to any attempt: the carrier is talking. */
  responded(): void {
    this.silent.clear();
  }

  finished(id: number, verdict: AttemptVerdict, pddMs: number | undefined, now: number, firstResponseMs?: number): void {
    this.silent.delete(id);
    this.ended.push({ at: now, verdict, pddMs, firstResponseMs });
  }

  /** Unanswered attempts since the carrier last responded, and how long the oldest has waited. */
  silence(now: number): { count: number; oldestMs: number } {
    const first = this.silent.values().next();
    return first.done ? { count: 0, oldestMs: 0 } : { count: this.silent.size, oldestMs: now - first.value };
  }

  summary(now: number, lateAfterMs = Infinity): CallSummary {
    this.expire(now);
    let samples = 0;
    let failures = 0;
    let responded = 0;
    let late = 0;
    const pdd: number[] = [];
    for (let i = this.head; i < this.ended.length; i++) {
      const e = this.ended[i]!;
      if (e.firstResponseMs !== undefined) {
        responded++;
        if (e.firstResponseMs > lateAfterMs) late++;
      }
      if (e.verdict === 'ignored') continue;
      samples++;
      if (e.verdict === 'failure') failures++;
      if (e.pddMs !== undefined) pdd.push(e.pddMs);
    }
    pdd.sort((a, b) => a - b);
    return { samples, failures, pddSamples: pdd.length, pddMedianMs: pdd.length > 0 ? pdd[Math.floor(pdd.length / 2)] : undefined, responded, late };
  }

  /** A recovered carrier starts with a clean slate: the failures that took it down are history. */
  clear(): void {
    this.ended = [];
    this.head = 0;
  }

  private expire(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.ended.length && this.ended[this.head]!.at < cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.ended.length) {
      this.ended = this.ended.slice(this.head);
      this.head = 0;
    }
  }
}
