/**
 * A minimal reader for the classic pcap files dumpcap writes (-P): IPv4/UDP packets on loopback,
 * with the SIP start line, Call-ID and CSeq pulled out of each payload. Timestamps in µs.
 */
import { readFileSync } from 'node:fs';

export interface SipPacket {
  /** Capture time, µs since the epoch (the kernel's timestamp as the packet crossed `lo`). */
  tUs: number;
  srcPort: number;
  dstPort: number;
  /** Request method, or undefined for a response. */
  method?: string;
  status?: number;
  callId: string;
  cseq: number;
  cseqMethod: string;
}

/** Link-layer header length per pcap linktype (Ethernet, BSD null/loopback, raw IP, Linux SLL, SLL2). */
const LINK_HEADER: Record<number, number> = { 1: 14, 0: 4, 101: 0, 113: 16, 276: 20 };

export function readSipPackets(file: string): SipPacket[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magicLE = buf.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const nano = magicLE === 0xa1b23c4d || buf.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && !nano) throw new Error(`${file}: not a classic pcap file (dumpcap -P)`);
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkHeader = LINK_HEADER[u32(20) & 0xffff];
  if (linkHeader === undefined) throw new Error(`${file}: unsupported link type ${u32(20)}`);
  const out: SipPacket[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const data = off + 16;
    off = data + incl;
    if (off > buf.length) break;
    const ip = data + linkHeader;
    if ((buf[ip]! >> 4) !== 4 || buf[ip + 9] !== 17) continue; // IPv4 + UDP only
    const udp = ip + (buf[ip]! & 0x0f) * 4;
    const payload = buf.toString('latin1', udp + 8, Math.min(off, udp + 8 + 2048));
    const p = parseSip(payload);
    if (!p) continue;
    out.push({ tUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac), srcPort: buf.readUInt16BE(udp), dstPort: buf.readUInt16BE(udp + 2), ...p });
  }
  return out;
}

function parseSip(text: string): Omit<SipPacket, 'tUs' | 'srcPort' | 'dstPort'> | undefined {
  const eol = text.indexOf('\r\n');
  if (eol < 0) return undefined;
  const first = text.slice(0, eol);
  let method: string | undefined;
  let status: number | undefined;
  if (first.startsWith('SIP/2.0 ')) status = Number(first.slice(8, 11));
  else method = first.slice(0, first.indexOf(' '));
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const callId = /\r\n(?:Call-ID|i)\s*:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? '';
  const cs = /\r\nCSeq\s*:\s*(\d+)\s+(\w+)/i.exec(head);
  return { method, status, callId, cseq: Number(cs?.[1] ?? 0), cseqMethod: cs?.[2]?.toUpperCase() ?? '' };
}
