/**
 * RTP fixed header (RFC 3550 §5.1): write one, read one back. Only what the simulator needs: no
 * CSRC list or extension on the way out; on the way in they are skipped over and checked for length.
 */
export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number. */
  seq: number;
  /** 32-bit media timestamp. */
  timestamp: number;
  ssrc: number;
}

export function writeRtp(h: RtpHeader, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  b[0] = 0x80; // V=2, P=0, X=0, CC=0
  b[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  b.writeUInt16BE(h.seq & 0xffff, 2);
  b.writeUInt32BE(h.timestamp >>> 0, 4);
  b.writeUInt32BE(h.ssrc >>> 0, 8);
  payload.copy(b, RTP_HEADER_BYTES);
  return b;
}

/**
 * The header of a valid RTP packet, or undefined for anything else: wrong version, too short for its
 * CSRC list / extension / padding, or RTCP (payload types 72–76 with the marker bit are RTCP 200–204
 * on a muxed port, RFC 5761 §4).
 */
export function readRtp(b: Buffer): RtpHeader | undefined {
  if (b.length < RTP_HEADER_BYTES || b[0]! >> 6 !== 2) return undefined;
  const pt = b[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return undefined;
  let length = RTP_HEADER_BYTES + 4 * (b[0]! & 0x0f);
  if (b[0]! & 0x10) {
    if (b.length < length + 4) return undefined;
    length += 4 + 4 * b.readUInt16BE(length + 2);
  }
  if (b[0]! & 0x20) length += b[b.length - 1]!;
  if (b.length < length) return undefined;
  return { payloadType: pt, marker: (b[1]! & 0x80) !== 0, seq: b.readUInt16BE(2), timestamp: b.readUInt32BE(4), ssrc: b.readUInt32BE(8) };
}
