/**
 * RTP and RTCP wire parsing (RFC 3550 §5.1, §6.4) and the RTP/RTCP demultiplexing rule for a muxed
 * port (RFC 5761 §4). The relay's hot path uses the allocation-free helpers (`rtpHeaderLength`,
 * `isRtcp`, `rtpSequence`…); `parseRtp` / `parseRtcp` return objects for tests, tools and the
 * (rare, ~1 per 5 s) RTCP packets.
 */

export const RTP_VERSION = 2;
const RTP_FIXED_HEADER = 12;
const RTCP_HEADER = 8;

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

export interface RtpHeader {
  version: number;
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** Bytes of fixed header + CSRC list + header extension: where the payload starts. */
  headerLength: number;
  /** Payload bytes, padding excluded. */
  payloadLength: number;
  paddingLength: number;
}

/**
 * RFC 5761 §4: on a muxed port, a second octet in 192–223 (marker bit set, payload type 64–95) is
 * RTCP (SR 200, RR 201, SDES, BYE, APP, feedback 205/206…); RTP must not use payload types 64–95.
 */
export function isRtcp(buf: Buffer): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}

/**
 * Length of the RTP header (fixed part, CSRCs, extension) or -1 when the packet is not valid RTP:
 * shorter than 12 bytes, version ≠ 2, an RTCP payload type (RFC 5761), a CSRC list / extension /
 * padding that does not fit. No allocation.
 */
export function rtpHeaderLength(buf: Buffer): number {
  const len = buf.length;
  if (len < RTP_FIXED_HEADER) return -1;
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) return -1;
  const pt = buf[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return -1;
  let header = RTP_FIXED_HEADER + (b0 & 0x0f) * 4;
  if (header > len) return -1;
  if (b0 & 0x10) {
    if (header + 4 > len) return -1;
    header += 4 + buf.readUInt16BE(header + 2) * 4;
    if (header > len) return -1;
  }
  if (b0 & 0x20) {
    const pad = buf[len - 1]!;
    if (pad === 0 || header + pad > len) return -1;
  }
  return header;
}

export const rtpSequence = (buf: Buffer): number => buf.readUInt16BE(2);
export const rtpTimestamp = (buf: Buffer): number => buf.readUInt32BE(4);
export const rtpSsrc = (buf: Buffer): number => buf.readUInt32BE(8);
export const rtpPayloadType = (buf: Buffer): number => buf[1]! & 0x7f;

/** Every RTP header field, or undefined when `buf` is not a valid RTP packet (see rtpHeaderLength). */
export function parseRtp(buf: Buffer): RtpHeader | undefined {
  const headerLength = rtpHeaderLength(buf);
  if (headerLength < 0) return undefined;
  const b0 = buf[0]!;
  const csrcCount = b0 & 0x0f;
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(RTP_FIXED_HEADER + i * 4));
  const padding = (b0 & 0x20) !== 0;
  const paddingLength = padding ? buf[buf.length - 1]! : 0;
  return {
    version: b0 >> 6,
    padding,
    extension: (b0 & 0x10) !== 0,
    csrcCount,
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    headerLength,
    payloadLength: buf.length - headerLength - paddingLength,
    paddingLength,
  };
}

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  /** The source this block reports on (the SSRC of the stream the reporter receives). */
  ssrc: number;
  /** Fraction lost since the previous report, 0–1 (the 8-bit field / 256). */
  fractionLost: number;
  /** Cumulative packets lost (signed 24-bit: negative when duplicates arrived). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpPacket =
  | { type: 'SR'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'RR'; ssrc: number; reports: ReportBlock[] }
  | { type: 'other'; packetType: number; ssrc: number | undefined };

function reportBlocks(buf: Buffer, at: number, count: number, end: number): ReportBlock[] | undefined {
  if (at + count * 24 > end) return undefined;
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, at += 24) {
    const lost24 = (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!;
    out.push({
      ssrc: buf.readUInt32BE(at),
      fractionLost: buf[at + 4]! / 256,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      extendedHighestSeq: buf.readUInt32BE(at + 8),
      jitter: buf.readUInt32BE(at + 12),
      lastSr: buf.readUInt32BE(at + 16),
      delaySinceLastSr: buf.readUInt32BE(at + 20),
    });
  }
  return out;
}

/**
 * A compound RTCP packet (RFC 3550 §6.1) split into its packets; SR and RR decoded (sender info,
 * report blocks), the rest (SDES, BYE, APP, RTPFB/PSFB, XR) returned by type. Undefined when the
 * buffer is not valid RTCP: a packet with version ≠ 2, a length that runs past the buffer or leaves
 * trailing bytes, padding on other than the last packet, a truncated SR/RR. Unlike A.2's strict
 * check, the first packet need not be SR/RR (reduced-size RTCP, RFC 5506, is seen in the field).
 */
export function parseRtcp(buf: Buffer): RtcpPacket[] | undefined {
  const out: RtcpPacket[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 4) return undefined;
    const b0 = buf[at]!;
    if (b0 >> 6 !== RTP_VERSION) return undefined;
    const count = b0 & 0x1f;
    const pt = buf[at + 1]!;
    const end = at + (buf.readUInt16BE(at + 2) + 1) * 4;
    if (end > buf.length) return undefined;
    if (b0 & 0x20 && end !== buf.length) return undefined;
    const ssrc = end - at >= RTCP_HEADER ? buf.readUInt32BE(at + 4) : undefined;
    if (pt === RTCP_SR) {
      if (end - at < 28 || ssrc === undefined) return undefined;
      const reports = reportBlocks(buf, at + 28, count, end);
      if (!reports) return undefined;
      out.push({
        type: 'SR', ssrc, reports,
        sender: {
          ntpSeconds: buf.readUInt32BE(at + 8), ntpFraction: buf.readUInt32BE(at + 12), rtpTimestamp: buf.readUInt32BE(at + 16),
          packetCount: buf.readUInt32BE(at + 20), octetCount: buf.readUInt32BE(at + 24),
        },
      });
    } else if (pt === RTCP_RR) {
      if (ssrc === undefined) return undefined;
      const reports = reportBlocks(buf, at + RTCP_HEADER, count, end);
      if (!reports) return undefined;
      out.push({ type: 'RR', ssrc, reports });
    } else {
      out.push({ type: 'other', packetType: pt, ssrc });
    }
    at = end;
  }
  return out.length ? out : undefined;
}
