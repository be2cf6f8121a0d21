/**
 * RTCP from the simulated carrier (RFC 3550 §6.4): a compound packet every few seconds — a receiver
 * report on the stream it receives (an SR first when it sends its own stream), then an SDES CNAME
 * (§6.1: every compound packet carries one). Real carriers send RTCP; a relay that delivers it to
 * the wrong port (rtcp-mux confusion) or not at all is only visible when the far end sends some.
 * Written here rather than borrowed from src/media: the simulator depends on src/sip only.
 */
import type { ReceiveStats } from './receive-stats';

/** RFC 3550 §6.2 minimum interval; the first report goes after half of it (§6.2, "initial"). */
export const RTCP_INTERVAL_MS = 5000;
export const RTCP_FIRST_MS = RTCP_INTERVAL_MS / 2;

const SR = 200;
const RR = 201;
const SDES = 202;
const CNAME = 1;
/** Seconds from 1900 (NTP era 0) to 1970. */
const NTP_EPOCH_OFFSET = 2_208_988_800;

export interface SenderState {
  packets: number;
  octets: number;
  /** RTP timestamp of the last packet sent. */
  rtpTimestamp: number;
}

/** The interval counts a report block's "fraction lost" is computed from (RFC 3550 A.3). */
export class ReportInterval {
  private expectedPrior = 0;
  private receivedPrior = 0;

  /** Fraction lost since the previous report, as the 8-bit field (0–255). */
  next(expected: number, received: number): number {
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = received;
    return expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
  }

  reset(): void {
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }
}

function reportBlock(source: number, stats: ReceiveStats, fraction: number): Buffer {
  const b = Buffer.alloc(24);
  const s = stats.summary();
  b.writeUInt32BE(source >>> 0, 0);
  b[4] = fraction;
  const lost = Math.max(-0x800000, Math.min(0x7fffff, s.lost)) & 0xffffff;
  b.writeUIntBE(lost, 5, 3);
  b.writeUInt32BE(stats.extendedMax(), 8);
  b.writeUInt32BE(stats.jitterUnits() >>> 0, 12);
  // LSR / DLSR stay 0: the simulator does not track the far end's sender reports (allowed, §6.4.1).
  return b;
}

function sdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname.slice(0, 255), 'utf8');
  // SSRC + item (type, length, text) + at least one null octet, padded to a 32-bit boundary.
  const body = 4 + 2 + text.length + 1;
  const size = 4 + Math.ceil(body / 4) * 4;
  const b = Buffer.alloc(size);
  b[0] = 0x81; // V=2, one chunk
  b[1] = SDES;
  b.writeUInt16BE(size / 4 - 1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b[8] = CNAME;
  b[9] = text.length;
  text.copy(b, 10);
  return b;
}

/**
 * One compound RTCP packet from `ssrc`: SR (when `sender` is given) or RR, with one report block on
 * `source` when something was received from it, then SDES CNAME.
 */
export function compoundReport(ssrc: number, cname: string, nowMs: number, received?: { source: number; stats: ReceiveStats; fraction: number }, sender?: SenderState): Buffer {
  const block = received ? reportBlock(received.source, received.stats, received.fraction) : Buffer.alloc(0);
  const count = received ? 1 : 0;
  let head: Buffer;
  if (sender) {
    head = Buffer.alloc(28);
    head[1] = SR;
    const secs = nowMs / 1000 + NTP_EPOCH_OFFSET;
    head.writeUInt32BE(Math.floor(secs) >>> 0, 8);
    head.writeUInt32BE(Math.floor((secs % 1) * 2 ** 32) >>> 0, 12);
    head.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
    head.writeUInt32BE(sender.packets >>> 0, 20);
    head.writeUInt32BE(sender.octets >>> 0, 24);
  } else {
    head = Buffer.alloc(8);
    head[1] = RR;
  }
  head[0] = 0x80 | count;
  head.writeUInt32BE(ssrc >>> 0, 4);
  head.writeUInt16BE((head.length + block.length) / 4 - 1, 2);
  return Buffer.concat([head, block, sdesCname(ssrc, cname)]);
}
