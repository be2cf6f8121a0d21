/** The JSON summary of an IVR run: outcomes by status, setup-time percentiles, RTP totals and loss. */
import type { IvrCallResult } from './call';

export interface IvrSummary {
  calls: number;
  byStatus: Record<string, number>;
  byEnd: Record<string, number>;
  setupMs: { p50: number; p95: number; max: number } | null;
  rtp: { sent: number; dropped: number; received: number; expected: number; lost: number; tailLost: number; lossPercent: number; maxJitterMs: number };
  /** Answered calls that sent RTP and got none back at all (loss unknowable: shown, not guessed). */
  callsWithNoRtpBack: number;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(results: readonly IvrCallResult[]): IvrSummary {
  const byStatus: Record<string, number> = {};
  const byEnd: Record<string, number> = {};
  const rtp = { sent: 0, dropped: 0, received: 0, expected: 0, lost: 0, tailLost: 0, lossPercent: 0, maxJitterMs: 0 };
  let callsWithNoRtpBack = 0;
  const setups: number[] = [];
  for (const r of results) {
    byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
    byEnd[r.endedBy] = (byEnd[r.endedBy] ?? 0) + 1;
    if (r.setupMs >= 0) setups.push(r.setupMs);
    rtp.sent += r.rtpSent;
    rtp.dropped += r.rtpDropped;
    rtp.received += r.rtpReceived;
    rtp.expected += r.rtpExpected;
    rtp.lost += r.rtpLost;
    rtp.tailLost += r.rtpTailLost;
    if (r.status >= 200 && r.status < 300 && r.rtpSent > 0 && r.rtpReceived === 0) callsWithNoRtpBack++;
    rtp.maxJitterMs = Math.max(rtp.maxJitterMs, r.rtpJitterMs);
  }
  rtp.lossPercent = rtp.expected > 0 ? round((100 * rtp.lost) / rtp.expected) : 0;
  rtp.maxJitterMs = round(rtp.maxJitterMs);
  setups.sort((a, b) => a - b);
  const setupMs = setups.length ? { p50: round(percentile(setups, 50)), p95: round(percentile(setups, 95)), max: round(setups[setups.length - 1]!) } : null;
  return { calls: results.length, byStatus, byEnd, setupMs, rtp, callsWithNoRtpBack };
}
