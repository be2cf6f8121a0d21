/**
 * Per carrier, how long its first response (100 Trying or any provisional) takes to come back —
 * the RTT the no-provisional timer adapts to (src/call/no-provisional-timer.ts). Smoothed as TCP
 * smooths RTT (RFC 6298: α = 1/8 for the mean, β = 1/4 for the mean deviation); the estimate is
 * mean + deviation, so a jittery carrier gets a longer timer than a steady one with the same mean.
 *
 * Samples are what the call layer measured minus the time trunkwise itself was stalled (the edge's
 * own delay is never the carrier's). A provisional that arrives after its attempt was given up is
 * a sample too: that is how the estimate learns that a carrier has become slower.
 * Without a sample for STALE_MS the estimate is forgotten (the configured maximum applies again).
 */
const STALE_MS = 300_000;

interface Estimate {
  srtt: number;
  rttvar: number;
  at: number;
}

export class ResponseLatency {
  private readonly byCarrier = new Map<string, Estimate>();

  sample(carrier: string, ms: number, now: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const e = this.byCarrier.get(carrier);
    if (!e || now - e.at > STALE_MS) {
      this.byCarrier.set(carrier, { srtt: ms, rttvar: ms / 2, at: now });
      return;
    }
    e.rttvar = 0.75 * e.rttvar + 0.25 * Math.abs(e.srtt - ms);
    e.srtt = 0.875 * e.srtt + 0.125 * ms;
    e.at = now;
  }

  /** The carrier's response time estimate (ms), or undefined when nothing recent was measured. */
  rttMs(carrier: string, now: number): number | undefined {
    const e = this.byCarrier.get(carrier);
    if (!e || now - e.at > STALE_MS) return undefined;
    return e.srtt + e.rttvar;
  }
}
