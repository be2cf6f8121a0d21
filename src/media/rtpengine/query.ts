/**
 * Reading an ng `query` (or `delete`) reply into typed counters. Pure: the reply is untyped bencode,
 * so every field is checked here and a missing or odd one is simply absent from the result.
 *
 * Fields used (rtpengine 10.5):
 * - `created` (s) and `created_us`: when the call was created in rtpengine (the first offer).
 * - `tags.<tag>.medias[].streams[]`: one entry per local port facing that tag's endpoint; `stats.packets`
 *   counts packets *received from* that endpoint; `flags` contains `RTP` or `RTCP`; `SSRC` is the first
 *   SSRC seen from it; `last packet` is a UNIX time (s) that starts at the stream's creation.
 * - `SSRC.<ssrc>`: what the endpoint sending as <ssrc> said in its RTCP receiver reports about the
 *   stream it receives: `cumulative loss` (RR cumulative number of packets lost, last report) and
 *   `average MOS` → `packet loss` (%, mean of the RR fraction-lost values) and `jitter` (ms). rtpengine
 *   lists an SSRC here only once it has computed a MOS from such a report.
 */
import type { NgDict, NgValue } from './ng-client';

export interface LegCounters {
  tag: string;
  rtpPackets: number;
  rtcpPackets: number;
  /** First SSRC received from this leg's endpoint. */
  ssrc?: number;
  /** UNIX ms of the last packet; absent when nothing was received. */
  lastPacketMs?: number;
}

/** An endpoint's RTCP receiver-report view of the stream it receives. */
export interface RtcpView {
  cumulativeLost: number;
  /** 0..1, mean of its reports' fraction lost. */
  fractionLost: number;
  jitterMs: number;
}

export interface CallSnapshot {
  createdMs?: number;
  legs: Map<string, LegCounters>;
  /** Keyed by the SSRC of the endpoint that sent the receiver reports. */
  rtcp: Map<number, RtcpView>;
}

const num = (v: NgValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const dict = (v: NgValue | undefined): NgDict | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
const list = (v: NgValue | undefined): NgValue[] => (Array.isArray(v) ? v : []);

export function parseQuery(reply: NgDict): CallSnapshot {
  const snap: CallSnapshot = { legs: new Map(), rtcp: new Map() };
  const created = num(reply.created);
  if (created !== undefined) snap.createdMs = created * 1000 + Math.floor((num(reply.created_us) ?? 0) / 1000);
  for (const [key, v] of Object.entries(dict(reply.tags) ?? {})) {
    const t = dict(v);
    if (!t) continue;
    const tag = typeof t.tag === 'string' ? t.tag : key;
    const leg: LegCounters = { tag, rtpPackets: 0, rtcpPackets: 0 };
    for (const m of list(t.medias)) {
      for (const s of list(dict(m)?.streams)) {
        const st = dict(s);
        if (!st) continue;
        const packets = num(dict(st.stats)?.packets) ?? 0;
        const isRtcp = list(st.flags).includes('RTCP');
        if (isRtcp) leg.rtcpPackets += packets;
        else leg.rtpPackets += packets;
        const ssrc = num(st.SSRC);
        if (!isRtcp && ssrc !== undefined && leg.ssrc === undefined) leg.ssrc = ssrc;
        const last = num(st['last packet']);
        if (packets > 0 && last !== undefined) leg.lastPacketMs = Math.max(leg.lastPacketMs ?? 0, last * 1000);
      }
    }
    snap.legs.set(tag, leg);
  }
  for (const [key, v] of Object.entries(dict(reply.SSRC) ?? {})) {
    const e = dict(v);
    const ssrc = Number(key);
    if (!e || !Number.isInteger(ssrc)) continue;
    const avg = dict(e['average MOS']);
    snap.rtcp.set(ssrc, {
      cumulativeLost: Math.max(0, num(e['cumulative loss']) ?? 0),
      fractionLost: (num(avg?.['packet loss']) ?? 0) / 100,
      jitterMs: num(avg?.jitter) ?? 0,
    });
  }
  return snap;
}
