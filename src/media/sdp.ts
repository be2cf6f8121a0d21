/**
 * SDP for the relay: where a leg wants its audio (mediaTarget) and our SDP toward the other leg
 * (rewriteSdp). Parsing uses sdp-transform; rewriting edits only the lines that must change (c=,
 * the m= port, a=rtcp, o= version) and copies every other line byte for byte, so codecs, fmtp,
 * unknown attributes and their order survive (a parse → write round trip would reorder them and
 * can mangle lines the grammar does not know).
 *
 * Only the first audio m-line is anchored. Every other m-line (video, a second audio stream, T.38
 * image) is rejected in the rewritten SDP by setting its port to 0, as RFC 3264 §6 allows, since no
 * media would flow for it through the relay. ICE lines (a=candidate…) are kept as offered: trunks do
 * not use ICE; a caller that does would need them stripped (not done here).
 * Errors are returned as values (E_SDP_INVALID, E_SDP_NO_AUDIO), never thrown.
 */
import net from 'node:net';
import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { fail, ok, type Result } from './errors';
import type { MediaDirection } from './relay/leg';

export interface Codec {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** The first audio stream of an SDP; assignable to RelaySession.setRemote's RemoteEndpoint. */
export interface MediaTarget {
  /** Media-level c= if present, else session-level. */
  address: string;
  family: 4 | 6;
  rtpPort: number;
  /** a=rtcp port, else rtpPort + 1 (0 when the stream is rejected). */
  rtcpPort: number;
  rtcpAddress: string;
  rtcpMux: boolean;
  /** Media-level a=, else session-level, else sendrecv; c=0.0.0.0 / :: and port 0 → inactive. */
  direction: MediaDirection;
  /** On hold: c=0.0.0.0 / ::, a=sendonly or a=inactive. */
  hold: boolean;
  /** m= port 0: the stream is rejected / disabled. */
  rejected: boolean;
  protocol: string;
  payloadTypes: number[];
  codecs: Codec[];
  /** Index of this m-line among all m-lines. */
  mediaIndex: number;
}

export interface RewriteOptions {
  address: string;
  rtpPort: number;
  rtcpPort: number;
  /** Increment the o= session version (each new SDP we send within a dialog must; RFC 3264 §8). */
  bumpVersion?: boolean;
  /**
   * What this SDP says about rtcp-mux on the leg it goes to (RFC 5761; see rtcp-mux.ts):
   * `offer` — a=rtcp-mux, a=rtcp (if any) names our separate RTCP port as the fallback;
   * `accept` — an answer agreeing to mux: a=rtcp-mux, a=rtcp (if any) equals our RTP port;
   * `none` — no a=rtcp-mux, a=rtcp (if any) names our RTCP port.
   * With any of them a=rtcp-mux-only (RFC 8858) is dropped: the relay can always use two ports.
   * Absent: the a=rtcp-mux lines are copied as they are.
   */
  rtcpMux?: 'offer' | 'accept' | 'none';
}

/** RFC 3551 static payload types (an SDP may omit a=rtpmap for these). */
const STATIC_PT: Record<number, { name: string; clockRate: number; channels?: number }> = {
  0: { name: 'PCMU', clockRate: 8000, channels: 1 }, 3: { name: 'GSM', clockRate: 8000, channels: 1 },
  4: { name: 'G723', clockRate: 8000, channels: 1 }, 8: { name: 'PCMA', clockRate: 8000, channels: 1 },
  9: { name: 'G722', clockRate: 8000, channels: 1 }, 13: { name: 'CN', clockRate: 8000, channels: 1 },
  18: { name: 'G729', clockRate: 8000, channels: 1 },
};

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

function parseSdp(sdp: unknown): Result<SessionDescription> {
  if (typeof sdp !== 'string' || !/^\s*v=0\s*$/m.test(sdp.split(/\r?\n/, 1)[0] ?? '')) {
    return fail('E_SDP_INVALID', 'the body does not start with v=0');
  }
  try {
    return ok(parse(sdp));
  } catch (err) {
    return fail('E_SDP_INVALID', err instanceof Error ? err.message : String(err));
  }
}

function codecsOf(m: MediaDescription, pts: readonly number[]): Codec[] {
  return pts.map((pt) => {
    const map = m.rtp.find((r) => r.payload === pt);
    const fmtp = m.fmtp.find((f) => f.payload === pt)?.config;
    const base = map
      ? { payloadType: pt, name: map.codec, clockRate: map.rate ?? 8000, ...(map.encoding !== undefined && { channels: Number(map.encoding) }) }
      : { payloadType: pt, name: STATIC_PT[pt]?.name ?? 'unknown', clockRate: STATIC_PT[pt]?.clockRate ?? 8000, ...(STATIC_PT[pt]?.channels && { channels: STATIC_PT[pt].channels }) };
    return fmtp !== undefined ? { ...base, fmtp } : base;
  });
}

/** Where the first audio stream of `sdp` wants its media. */
export function mediaTarget(sdp: string): Result<MediaTarget> {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return parsed;
  const s = parsed.value;
  const mediaIndex = s.media.findIndex((m) => m.type === 'audio');
  const m = s.media[mediaIndex];
  if (!m) return fail('E_SDP_NO_AUDIO', `${s.media.length} m-lines, none of them audio`);
  if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) return fail('E_SDP_INVALID', 'the audio m= line has no valid port');
  const conn = m.connection ?? s.connection;
  if (!conn) return fail('E_SDP_INVALID', 'no c= line at session or audio media level');
  const family = net.isIP(String(conn.ip));
  if (family === 0 || family !== Number(conn.version)) return fail('E_SDP_INVALID', `c=IN IP${conn.version} ${conn.ip}: not an IPv${conn.version} address`);
  const payloadTypes = String(m.payloads ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  if (!payloadTypes.length || payloadTypes.some((pt) => !Number.isInteger(pt) || pt < 0 || pt > 127)) {
    return fail('E_SDP_INVALID', `audio m= line formats "${m.payloads ?? ''}" are not RTP payload types`);
  }
  const address = String(conn.ip);
  const rejected = m.port === 0;
  const rtcpAddress = m.rtcp?.address !== undefined && net.isIP(String(m.rtcp.address)) ? String(m.rtcp.address) : address;
  let direction: MediaDirection = m.direction ?? s.direction ?? 'sendrecv';
  const oldHold = UNSPECIFIED.has(address);
  if (oldHold || rejected) direction = 'inactive';
  return ok({
    address, family: family as 4 | 6, rtpPort: m.port,
    rtcpPort: rejected ? 0 : m.rtcp?.port ?? m.port + 1, rtcpAddress,
    rtcpMux: m.rtcpMux !== undefined, direction,
    hold: oldHold || direction === 'sendonly' || direction === 'inactive', rejected,
    protocol: m.protocol, payloadTypes, codecs: codecsOf(m, payloadTypes), mediaIndex,
  });
}

/**
 * `sdp` with our address and ports for its first audio stream: c= at session level and in the
 * audio section, the audio m= port (left 0 if it was rejected), a=rtcp updated when present (its
 * address too if it had one; a mux-style a=rtcp equal to the m= port follows the new RTP port) and
 * added only when our RTCP port is not RTP + 1. a=rtcp-mux set by `rtcpMux` (else unchanged); codecs
 * and all other lines unchanged; other m-lines get port 0. o= version + 1 only with `bumpVersion`.
 */
export function rewriteSdp(sdp: string, opts: RewriteOptions): Result<string> {
  const target = mediaTarget(sdp);
  if (!target.ok) return target;
  const fam = net.isIP(opts.address);
  if (fam === 0) return fail('E_MEDIA_REMOTE_INVALID', `rewrite address "${opts.address}" is not an IP address`);
  const conn = `c=IN IP${fam} ${opts.address}`;
  const audio = target.value.mediaIndex;
  const oldRtp = target.value.rtpPort;
  const out: string[] = [];
  let section = -1;
  let hadRtcp = false;
  let hadMux = false;
  const mux = opts.rtcpMux;
  const closeAudio = (): void => {
    if (section !== audio || target.value.rejected) return;
    if (!hadRtcp && mux !== 'accept' && opts.rtcpPort !== opts.rtpPort + 1) out.push(`a=rtcp:${opts.rtcpPort}`);
    if ((mux === 'offer' || mux === 'accept') && !hadMux) out.push('a=rtcp-mux');
  };
  for (const line of sdp.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) {
      closeAudio();
      section++;
      const m = /^m=(\S+) (\d+)(?:\/\d+)?( .*)?$/.exec(line);
      if (!m) return fail('E_SDP_INVALID', `m-line "${line}"`);
      const port = section === audio ? (target.value.rejected ? 0 : opts.rtpPort) : 0;
      out.push(`m=${m[1]} ${port}${m[3] ?? ''}`);
    } else if (line.startsWith('c=') && (section === -1 || section === audio)) {
      out.push(conn);
    } else if (line.startsWith('o=') && section === -1 && opts.bumpVersion) {
      const f = line.split(' ');
      if (f.length < 6 || !/^\d+$/.test(f[2] ?? '')) return fail('E_SDP_INVALID', `o-line "${line}"`);
      f[2] = (BigInt(f[2]!) + 1n).toString();
      out.push(f.join(' '));
    } else if (line.startsWith('a=rtcp:') && section === audio) {
      hadRtcp = true;
      const m = /^a=rtcp:(\d+)(?: IN IP[46] \S+)?/.exec(line);
      const muxStyle = m !== null && Number(m[1]) === oldRtp;
      const port = mux === 'accept' || (mux === undefined && muxStyle) ? opts.rtpPort : opts.rtcpPort;
      out.push(/ IN IP[46] /.test(line) ? `a=rtcp:${port} IN IP${fam} ${opts.address}` : `a=rtcp:${port}`);
    } else if (mux !== undefined && section === audio && /^a=rtcp-mux(-only)?\s*$/.test(line)) {
      // Kept in place when this leg muxes (closeAudio adds it when missing); rtcp-mux-only never passed on.
      if (line.startsWith('a=rtcp-mux') && !line.startsWith('a=rtcp-mux-only') && mux !== 'none' && !hadMux) {
        hadMux = true;
        out.push('a=rtcp-mux');
      }
    } else {
      out.push(line);
    }
  }
  closeAudio();
  return ok(out.join('\r\n') + '\r\n');
}
