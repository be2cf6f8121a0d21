/**
 * `media: relay` — the embedded relay as the call layer's MediaAnchor: each call gets one relay
 * session (leg a faces the caller, leg b the carrier); SDP offers and answers are rewritten so RTP
 * flows through it, the carrier leg is re-pointed on every attempt (crankback) and re-INVITE, and
 * the stream the carrier sends us is sampled live for the carrier's health. rtcp-mux is agreed on
 * each leg on its own (rtcp-mux.ts): the SDP each side gets says what the relay does on its leg.
 */
import type { CallMediaSession, DirectionStats, MediaAnchor, MediaCdr, MediaLeg, MediaSample } from '../call/media-port';
import type { MediaRelay } from './relay/relay';
import type { RelaySession } from './relay/session';
import type { FlowStats } from './relay/flow';
import type { LegName } from './relay/leg';
import { RtcpMuxNegotiation } from './rtcp-mux';
import { mediaTarget, rewriteSdp, type MediaTarget, type RewriteOptions } from './sdp';

const LEG: Record<MediaLeg, LegName> = { caller: 'a', carrier: 'b' };
const OTHER: Record<MediaLeg, LegName> = { caller: 'b', carrier: 'a' };

export class RelayAnchor implements MediaAnchor {
  constructor(private readonly relay: MediaRelay) {}

  async open(callId: string): Promise<CallMediaSession> {
    return new RelayCallSession(await this.relay.open(callId, ''));
  }
}

class RelayCallSession implements CallMediaSession {
  private readonly mux = new RtcpMuxNegotiation();

  constructor(private readonly s: RelaySession) {}

  async offer(callerSdp: string, carrier: string): Promise<string> {
    this.s.setCarrier(carrier);
    return this.passOffer('a', callerSdp);
  }

  async answer(carrierSdp: string): Promise<string> {
    return this.passAnswer('b', carrierSdp);
  }

  async reoffer(from: MediaLeg, sdp: string): Promise<string> {
    return this.passOffer(LEG[from], sdp);
  }

  async reanswer(to: MediaLeg, sdp: string): Promise<string> {
    return this.passAnswer(OTHER[to], sdp);
  }

  async sample(now: number): Promise<MediaSample | undefined> {
    const fromCarrier = this.s.sample(now)['b→a'];
    return { expected: fromCarrier.expected, lost: fromCarrier.lost };
  }

  async stats(): Promise<MediaCdr> {
    const st = this.s.stats();
    const cdr: MediaCdr = { mode: 'relay', fromCaller: direction(st['a→b']), fromCarrier: direction(st['b→a']) };
    if (st.mediaStartedAt !== undefined && st.lastPacketAt !== undefined) cdr.mediaDurationMs = st.lastPacketAt - st.mediaStartedAt;
    return cdr;
  }

  close(): Promise<void> {
    return this.s.close();
  }

  /** An offer from leg `from`: point that leg at its SDP, and offer the other leg our side of it. */
  private passOffer(from: LegName, sdp: string): string {
    const t = target(sdp);
    const m = this.mux.offer(from, t.rtcpMux);
    this.point(from, t, m.offerer);
    return this.rewrite(sdp, peer(from), m.offerOther ? 'offer' : 'none');
  }

  /** Leg `from`'s answer to our offer: point that leg at it, and answer the leg that offered. */
  private passAnswer(from: LegName, sdp: string): string {
    const t = target(sdp);
    this.point(from, t, this.mux.answer(from, t.rtcpMux));
    const offerer = peer(from);
    return this.rewrite(sdp, offerer, this.mux.muxes(offerer) ? 'accept' : 'none');
  }

  /** Where a leg's RTP and RTCP should go, from the SDP that leg sent and the mux agreed with it. */
  private point(leg: LegName, t: MediaTarget, rtcpMux: boolean): void {
    const r = this.s.setRemote(leg, {
      address: t.address, rtpPort: t.rtpPort, rtcpPort: t.rtcpPort, rtcpAddress: t.rtcpAddress, rtcpMux, direction: t.direction,
    });
    if (!r.ok) throw r.error;
  }

  /** The SDP to send toward `leg`: the other side's SDP with our address and ports on that leg. */
  private rewrite(sdp: string, leg: LegName, rtcpMux: NonNullable<RewriteOptions['rtcpMux']>): string {
    const local = this.s.local(leg);
    const r = rewriteSdp(sdp, { address: local.address, rtpPort: local.rtpPort, rtcpPort: local.rtcpPort, rtcpMux });
    if (!r.ok) throw r.error;
    return r.value;
  }
}

const peer = (leg: LegName): LegName => (leg === 'a' ? 'b' : 'a');

function target(sdp: string): MediaTarget {
  const t = mediaTarget(sdp);
  if (!t.ok) throw t.error;
  return t.value;
}

function direction(f: FlowStats): DirectionStats {
  const d: DirectionStats = { expected: f.expected, received: f.received, lost: Math.max(0, f.lost), fractionLost: f.fractionLost, jitterMs: f.jitterMs };
  if (f.remoteReport) d.rtcpFractionLost = f.remoteReport.fractionLost;
  return d;
}
