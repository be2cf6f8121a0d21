/**
 * One carrier's health state with hysteresis. No clocks, no I/O: every input carries `now`, every
 * transition is returned (with its reason) for the monitor to log, count and keep in the history.
 *
 *   active ⇄ degraded      score under degradedBelow for degradeAfter evaluations / at or over
 *                          recoverAbove for recoverAfter evaluations (the gap is the hysteresis)
 *   active|degraded → down downAfter consecutive hard failures (probe rounds with no alive answer,
 *                          INVITEs with no response), the silence check, or a score under downBelow
 *                          for degradeAfter evaluations
 *   down → probing         the first good probe round after downHoldMs × flap factor
 *   probing → active       upAfter × flap factor consecutive good rounds; any bad round → down.
 *                          Back in service, the traffic share ramps from rampStart to 1 over rampMs.
 *
 * Flap damping: each down transition within flapWindowMs of earlier ones doubles the flap factor
 * (up to maxFlapFactor), so a carrier that keeps bouncing needs ever longer to be trusted again.
 * Local-fault guard: while the monitor suspects the edge itself, score-based downs become degraded.
 * Media hold (src/health/media-probe.ts): while set, probing → active and degraded → active wait.
 */
import type { HealthConfig } from '../config/types';
import type { HealthState } from './types';

export interface Transition {
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
}

/** Without probes nothing can show a down carrier is back: it is retried (ramping) after this hold. */
export const NO_PROBE_RETRY_MS = 30_000;

export class HealthMachine {
  state: HealthState = 'active';
  since: number;
  private hardFails = 0;
  private lowEvals = 0;
  private veryLowEvals = 0;
  private highEvals = 0;
  private goodRounds = 0;
  private downs: number[] = [];
  private rampFrom: number | undefined;

  constructor(private cfg: HealthConfig, now: number) {
    this.since = now;
  }

  reconfigure(cfg: HealthConfig): void {
    this.cfg = cfg;
  }

  /** 2^(downs in the flap window − 1), capped. */
  flapFactor(now: number): number {
    const recent = this.downs.filter((t) => now - t <= this.cfg.flapWindowMs).length;
    return Math.min(this.cfg.maxFlapFactor, 2 ** Math.max(0, recent - 1));
  }

  /** Share of its normal traffic the carrier gets now: < 1 while ramping back after recovery. */
  rampFactor(now: number): number {
    if (this.rampFrom === undefined || this.cfg.rampMs === 0) return 1;
    const f = this.cfg.rampStart + (1 - this.cfg.rampStart) * ((now - this.rampFrom) / this.cfg.rampMs);
    if (f >= 1) {
      this.rampFrom = undefined;
      return 1;
    }
    return f;
  }

  inService(): boolean {
    return this.state === 'active' || this.state === 'degraded';
  }

  /** A probe round with no alive answer, or an INVITE the carrier never responded to. */
  hardFailure(now: number, reason: string): Transition | undefined {
    if (!this.inService()) return undefined;
    this.hardFails++;
    if (this.hardFails >= this.cfg.downAfter) return this.goDown(now, `${this.hardFails} consecutive hard failures (last: ${reason})`);
    return undefined;
  }

  /** The carrier answered something (a provisional, a probe). */
  hardSuccess(): void {
    this.hardFails = 0;
  }

  /** The reactive check: several INVITEs and not a single response for a while. */
  silent(now: number, reason: string): Transition | undefined {
    return this.inService() ? this.goDown(now, reason) : undefined;
  }

  /** `hold`: recovery waits for a clean synthetic media probe (the good rounds still count meanwhile). */
  probeRound(now: number, ok: boolean, hold = false): Transition | undefined {
    if (this.inService()) {
      if (ok) this.hardSuccess();
      return ok ? undefined : this.hardFailure(now, 'probe round with no alive answer');
    }
    if (!ok) {
      this.goodRounds = 0;
      return this.state === 'probing' ? this.move(now, 'down', 'probe round failed while probing') : undefined;
    }
    const factor = this.flapFactor(now);
    if (this.state === 'down') {
      if (now - this.since < this.cfg.downHoldMs * factor) return undefined;
      this.goodRounds = 1;
      return this.move(now, 'probing', 'answered a probe round');
    }
    this.goodRounds++;
    const need = this.cfg.upAfter * factor;
    if (this.goodRounds >= need && !hold) return this.recover(now, `${this.goodRounds} consecutive good probe rounds (needed ${need}, flap factor ${factor})`);
    return undefined;
  }

  /** Periodic evaluation of the score; `guard` = the local-fault guard is on (no score-based downs). */
  evaluate(now: number, score: number, opts: { guard: boolean; probesEnabled: boolean; hold?: boolean }): Transition | undefined {
    const c = this.cfg;
    if (!this.inService()) {
      if (!opts.probesEnabled && opts.hold !== true && now - this.since >= Math.max(c.downHoldMs, NO_PROBE_RETRY_MS) * this.flapFactor(now)) {
        return this.recover(now, 'no probes configured: retrying after the hold time');
      }
      return undefined;
    }
    this.lowEvals = score < c.degradedBelow ? this.lowEvals + 1 : 0;
    this.veryLowEvals = score < c.downBelow ? this.veryLowEvals + 1 : 0;
    this.highEvals = score >= c.recoverAbove ? this.highEvals + 1 : 0;
    const s = score.toFixed(2);
    if (this.veryLowEvals >= c.degradeAfter && !opts.guard) return this.goDown(now, `score ${s} under downBelow ${c.downBelow} for ${this.veryLowEvals} evaluations`);
    if (this.state === 'active' && this.lowEvals >= c.degradeAfter) {
      return this.move(now, 'degraded', `score ${s} under degradedBelow ${c.degradedBelow} for ${this.lowEvals} evaluations`);
    }
    if (this.state === 'degraded' && this.highEvals >= c.recoverAfter && opts.hold !== true) {
      return this.move(now, 'active', `score ${s} at or over recoverAbove ${c.recoverAbove} for ${this.highEvals} evaluations`);
    }
    return undefined;
  }

  private goDown(now: number, reason: string): Transition {
    this.downs = this.downs.filter((t) => now - t <= this.cfg.flapWindowMs);
    this.downs.push(now);
    this.rampFrom = undefined;
    return this.move(now, 'down', reason);
  }

  private recover(now: number, reason: string): Transition {
    this.rampFrom = now;
    return this.move(now, 'active', reason);
  }

  private move(now: number, to: HealthState, reason: string): Transition {
    const from = this.state;
    this.state = to;
    this.since = now;
    this.hardFails = 0;
    this.lowEvals = 0;
    this.veryLowEvals = 0;
    this.highEvals = 0;
    if (to !== 'probing') this.goodRounds = 0;
    return { from, to, reason };
  }
}
