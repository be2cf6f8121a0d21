/**
 * Writing RTP headers and RTCP SR/RR packets: for the test endpoints, the benchmark load generator
 * and any future RTCP the relay originates. The inverse of packet.ts.
 */
import { RTCP_RR, RTCP_SR, type ReportBlock, type SenderInfo } from './packet';

export interface RtpFields {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

/** Writes a 12-byte RTP header (no CSRC, no extension, no padding) into `buf` at 0. */
export function writeRtpHeader(buf: Buffer, f: RtpFields): void {
  buf[0] = 0x80;
  buf[1] = (f.marker ? 0x80 : 0) | (f.payloadType & 0x7f);
  buf.writeUInt16BE(f.sequence & 0xffff, 2);
  buf.writeUInt32BE(f.timestamp >>> 0, 4);
  buf.writeUInt32BE(f.ssrc >>> 0, 8);
}

/** A new RTP packet: header + `payloadBytes` bytes of `fill`. */
export function buildRtp(f: RtpFields, payloadBytes: number, fill = 0xff): Buffer {
  const buf = Buffer.alloc(12 + payloadBytes, fill);
  writeRtpHeader(buf, f);
  return buf;
}

function writeBlocks(buf: Buffer, at: number, blocks: readonly ReportBlock[]): void {
  for (const b of blocks) {
    buf.writeUInt32BE(b.ssrc >>> 0, at);
    buf[at + 4] = Math.max(0, Math.min(255, Math.floor(b.fractionLost * 256)));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)) & 0xffffff;
    buf[at + 5] = lost >> 16;
    buf[at + 6] = (lost >> 8) & 0xff;
    buf[at + 7] = lost & 0xff;
    buf.writeUInt32BE(b.extendedHighestSeq >>> 0, at + 8);
    buf.writeUInt32BE(b.jitter >>> 0, at + 12);
    buf.writeUInt32BE(b.lastSr >>> 0, at + 16);
    buf.writeUInt32BE(b.delaySinceLastSr >>> 0, at + 20);
    at += 24;
  }
}

/** An RTCP Receiver Report (RFC 3550 §6.4.2) with up to 31 report blocks. */
export function buildRtcpRr(ssrc: number, blocks: readonly ReportBlock[]): Buffer {
  const n = Math.min(31, blocks.length);
  const buf = Buffer.alloc(8 + n * 24);
  buf[0] = 0x80 | n;
  buf[1] = RTCP_RR;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  writeBlocks(buf, 8, blocks.slice(0, n));
  return buf;
}

/** An RTCP Sender Report (RFC 3550 §6.4.1) with up to 31 report blocks. */
export function buildRtcpSr(ssrc: number, sender: SenderInfo, blocks: readonly ReportBlock[] = []): Buffer {
  const n = Math.min(31, blocks.length);
  const buf = Buffer.alloc(28 + n * 24);
  buf[0] = 0x80 | n;
  buf[1] = RTCP_SR;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf.writeUInt32BE(sender.ntpSeconds >>> 0, 8);
  buf.writeUInt32BE(sender.ntpFraction >>> 0, 12);
  buf.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
  buf.writeUInt32BE(sender.packetCount >>> 0, 20);
  buf.writeUInt32BE(sender.octetCount >>> 0, 24);
  writeBlocks(buf, 28, blocks.slice(0, n));
  return buf;
}
