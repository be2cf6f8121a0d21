/**
 * What the synthetic media probes (src/drills/synthetic-probes.ts) tell one carrier's health, and
 * the gate they put on its recovery. OPTIONS probes cannot see media: a carrier taken down or
 * degraded for media loss would come back on OPTIONS alone, ramp, lose media again and go down again
 * (the flap seen in the lab). With probes configured, such a carrier is held: it stays probing (or
 * degraded) until a probe call's RTP comes back clean. Pure bookkeeping; the monitor owns the clock.
 */

/** One probe call as health hears it. */
export type MediaProbeOutcome =
  /** Answered and held: RTP from the carrier measured over the call. */
  | { kind: 'answered'; at: number; setupMs: number; expected: number; lost: number; jitterMs: number }
  /** The carrier failed the set-up (a 5xx, 408, no answer in time): a probe-like hard failure. */
  | { kind: 'failed'; at: number; status: number; reason: string };

export interface MediaProbeView {
  readonly probes: number;
  readonly held: boolean;
  readonly heldBecause?: string;
  readonly last?: MediaProbeOutcome & { readonly loss?: number };
}

export class MediaProbeGate {
  private count = 0;
  private last: MediaProbeOutcome | undefined;
  private hold: string | undefined;

  /** `good`: the mediaLoss signal's good threshold; `minPackets`: fewer expected than this proves nothing. */
  constructor(private good: number, private minPackets: number) {}

  reconfigure(good: number, minPackets: number): void {
    this.good = good;
    this.minPackets = minPackets;
  }

  /** Whether recovery (probing → active, degraded → active) must wait for a clean probe call. */
  get held(): boolean {
    return this.hold !== undefined;
  }

  /**
   * The carrier left full service. `mediaLoss`: the mediaLoss signal's value at that moment (undefined:
   * not scored). Held when media was part of the reason, whatever the state machine said.
   */
  leftService(mediaLoss: number | undefined, why: string): void {
    if (mediaLoss !== undefined && mediaLoss > this.good) this.hold = `media loss ${(mediaLoss * 100).toFixed(1)} % when it ${why}`;
  }

  /** A probe call ended; returns true when it released the hold. */
  add(r: MediaProbeOutcome): boolean {
    this.count++;
    this.last = r;
    if (r.kind !== 'answered' || this.hold === undefined) return false;
    if (r.expected < this.minPackets || r.lost / r.expected > this.good) return false;
    this.hold = undefined;
    return true;
  }

  view(): MediaProbeView {
    const last = this.last && (this.last.kind === 'answered' ? { ...this.last, loss: this.last.expected > 0 ? this.last.lost / this.last.expected : 0 } : this.last);
    return { probes: this.count, held: this.held, ...(this.hold !== undefined && { heldBecause: this.hold }), ...(last && { last }) };
  }
}
