/**
 * SDP offer/answer for the simulated carrier (RFC 3264): accept the first audio stream offering
 * PCMU or PCMA (plus telephone-event if offered), mirror the direction, reject every other stream
 * with port 0. With no offer (late-offer INVITE) the carrier makes the offer itself.
 */
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import type { MediaEndpoint, RemoteMedia } from './media';

const STATIC_CODECS: Readonly<Record<number, string>> = { 0: 'PCMU', 8: 'PCMA' };
const ACCEPTED = new Set(['PCMU', 'PCMA']);
const TELEPHONE_EVENT = 'telephone-event';
const MIRROR = { sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive', sendrecv: 'sendrecv' } as const;

export type AnswerResult = { ok: true; sdp: string; remote?: RemoteMedia } | { ok: false; reason: string };

export interface SdpOrigin {
  sessionId: number;
  /** Incremented by the caller for every new SDP in the dialog (RFC 3264 §8). */
  version: number;
}

export function buildAnswer(offer: Buffer, media: MediaEndpoint, origin: SdpOrigin): AnswerResult {
  const text = offer.toString('utf8').trim();
  if (!text) return { ok: true, sdp: buildOffer(media, origin) };
  let parsed: SessionDescription;
  try {
    parsed = parse(text);
  } catch (err) {
    return { ok: false, reason: `unparsable SDP: ${(err as Error).message}` };
  }
  if (!Array.isArray(parsed.media) || parsed.media.length === 0) return { ok: false, reason: 'SDP offer has no m= line' };
  let remote: RemoteMedia | undefined;
  const answered: MediaDescription[] = parsed.media.map((m) => {
    const chosen = remote === undefined ? chooseAudio(m) : undefined;
    if (!chosen) return rejectedStream(m);
    const address = m.connection?.ip ?? parsed.connection?.ip ?? '';
    remote = { address, port: m.port, payloadType: chosen.codec.payload, codec: chosen.codec.codec };
    const rtp = [chosen.codec, ...(chosen.dtmf ? [chosen.dtmf] : [])];
    const direction = MIRROR[m.direction ?? parsed.direction ?? 'sendrecv'];
    return {
      type: 'audio', port: media.port, protocol: m.protocol, payloads: rtp.map((r) => r.payload).join(' '),
      rtp: rtp.map((r) => ({ payload: r.payload, codec: r.codec, rate: r.rate ?? 8000 })),
      fmtp: chosen.dtmf ? [{ payload: chosen.dtmf.payload, config: '0-16' }] : [],
      ptime: 20, direction,
    };
  });
  if (!remote) return { ok: false, reason: 'no audio stream with PCMU or PCMA in the offer' };
  const sdp = write(session(media, origin, answered));
  return { ok: true, sdp, remote };
}

/** The far end's audio address and first payload type from an SDP answer (an ACK's body), if any. */
export function remoteFromSdp(body: Buffer): RemoteMedia | undefined {
  let parsed: SessionDescription;
  try {
    parsed = parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const m = (parsed.media ?? []).find((s) => s.type === 'audio' && s.port > 0);
  if (!m) return undefined;
  const pt = Number(String(m.payloads ?? '').split(/\s+/)[0]);
  if (!Number.isInteger(pt)) return undefined;
  const codec = (m.rtp ?? []).find((r) => r.payload === pt)?.codec ?? STATIC_CODECS[pt] ?? 'unknown';
  return { address: m.connection?.ip ?? parsed.connection?.ip ?? '', port: m.port, payloadType: pt, codec };
}

/** Offer for a late-offer INVITE: PCMU, PCMA, telephone-event/101. */
export function buildOffer(media: MediaEndpoint, origin: SdpOrigin): string {
  return write(session(media, origin, [{
    type: 'audio', port: media.port, protocol: 'RTP/AVP', payloads: '0 8 101',
    rtp: [{ payload: 0, codec: 'PCMU', rate: 8000 }, { payload: 8, codec: 'PCMA', rate: 8000 }, { payload: 101, codec: TELEPHONE_EVENT, rate: 8000 }],
    fmtp: [{ payload: 101, config: '0-16' }], ptime: 20, direction: 'sendrecv',
  }]));
}

function session(media: MediaEndpoint, origin: SdpOrigin, streams: MediaDescription[]): SessionDescription {
  return {
    version: 0,
    origin: { username: 'trunkwise-sim', sessionId: origin.sessionId, sessionVersion: origin.version, netType: 'IN', ipVer: 4, address: media.address },
    name: 'trunkwise-sim',
    connection: { version: 4, ip: media.address },
    timing: { start: 0, stop: 0 },
    media: streams,
  };
}

interface Rtp { payload: number; codec: string; rate?: number }

function chooseAudio(m: MediaDescription): { codec: Rtp; dtmf?: Rtp } | undefined {
  if (m.type !== 'audio' || m.port === 0 || !/^RTP\/S?AVP$/i.test(m.protocol)) return undefined;
  const pts = String(m.payloads ?? '').split(/\s+/).filter(Boolean).map(Number);
  const rtpmap = new Map((m.rtp ?? []).map((r) => [r.payload, r] as const));
  const named = (pt: number): Rtp | undefined => {
    const r = rtpmap.get(pt);
    if (r) return { payload: pt, codec: r.codec, ...(r.rate !== undefined && { rate: r.rate }) };
    const s = STATIC_CODECS[pt];
    return s ? { payload: pt, codec: s, rate: 8000 } : undefined;
  };
  const offered = pts.map(named).filter((r): r is Rtp => r !== undefined);
  const codec = offered.find((r) => ACCEPTED.has(r.codec.toUpperCase()) && (r.rate ?? 8000) === 8000);
  if (!codec) return undefined;
  const dtmf = offered.find((r) => r.codec.toLowerCase() === TELEPHONE_EVENT && (r.rate ?? 8000) === 8000);
  return dtmf ? { codec, dtmf } : { codec };
}

function rejectedStream(m: MediaDescription): MediaDescription {
  const first = String(m.payloads ?? '0').split(/\s+/).filter(Boolean)[0] ?? '0';
  return { type: m.type, port: 0, protocol: m.protocol, payloads: first, rtp: [], fmtp: [] };
}
