/**
 * A drill's own test calls: a fixed number per window, spread evenly over the drill, placed through
 * the edge like an IVR's call (so they are routed, counted and CDR'd like any other) and counted
 * against the window they were placed in. They make a drill meaningful on a quiet edge and tell
 * "calls through this edge work" apart from "customers' calls happened to work".
 */
export interface TestCallResult {
  /** Answered (2xx) and hung up cleanly. */
  readonly ok: boolean;
  /** INVITE to final response, ms (-1: none). */
  readonly setupMs: number;
  /** The final status (0: none). */
  readonly status: number;
}

export type PlaceTestCall = () => Promise<TestCallResult>;

export interface SyntheticCounts {
  placed: number;
  answered: number;
  failed: number;
  /** The slowest answered call's setup, ms. */
  setupMaxMs: number;
  /** Final statuses of the failed ones. */
  failures: number[];
}

export class SyntheticCalls {
  private readonly pending: Array<Promise<void>> = [];
  private readonly counts: Record<string, SyntheticCounts> = {};
  private phase = '';
  private stopped = false;
  /** Failed test calls so far (every window). */
  failed = 0;

  constructor(private readonly place: PlaceTestCall, private readonly sleep: (ms: number) => Promise<void>) {}

  /** The window that calls placed from now on count against. */
  enter(phase: string): void {
    this.phase = phase;
    this.counts[phase] ??= { placed: 0, answered: 0, failed: 0, setupMaxMs: 0, failures: [] };
  }

  /**
   * Enters `phase` and places `n` calls spread evenly over `spanMs` (the first at once), in the
   * background; those not placed yet when the phase ends early (a restore) are dropped.
   */
  window(phase: string, n: number, spanMs: number): void {
    this.enter(phase);
    for (let i = 0; i < n; i++) {
      void this.sleep((i * spanMs) / n).then(() => {
        if (!this.stopped && this.phase === phase) this.pending.push(this.one(this.counts[phase]!));
      });
    }
  }

  private async one(c: SyntheticCounts): Promise<void> {
    c.placed++;
    const r = await this.place().catch((): TestCallResult => ({ ok: false, setupMs: -1, status: 0 }));
    if (r.ok) {
      c.answered++;
      c.setupMaxMs = Math.max(c.setupMaxMs, Math.round(r.setupMs));
    } else {
      c.failed++;
      c.failures.push(r.status);
      this.failed++;
    }
  }

  /** No new calls; wait for those under way. */
  async settle(): Promise<Record<string, SyntheticCounts>> {
    this.stopped = true;
    await Promise.all(this.pending);
    return this.counts;
  }
}
