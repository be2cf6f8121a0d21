/**
 * `media: relay` — the embedded relay as the call layer's MediaAnchor: each call gets one relay
 * session (leg a faces the caller, leg b the carrier); SDP offers and answers are rewritten so RTP
 * flows through it, the carrier leg is re-pointed on every attempt (crankback) and re-INVITE, and
 * the stream the carrier sends us is sampled live for the carrier's health.
 */
import type { CallMediaSession, DirectionStats, MediaAnchor, MediaCdr, MediaLeg, MediaSample } from '../call/media-port';
import type { MediaRelay } from './relay/relay';
import type { RelaySession } from './relay/session';
import type { FlowStats } from './relay/flow';
import type { LegName } from './relay/leg';
import { mediaTarget, rewriteSdp } from './sdp';

const LEG: Record<MediaLeg, LegName> = { caller: 'a', carrier: 'b' };
const OTHER: Record<MediaLeg, LegName> = { caller: 'b', carrier: 'a' };

export class RelayAnchor implements MediaAnchor {
  constructor(private readonly relay: MediaRelay) {}

  async open(callId: string): Promise<CallMediaSession> {
    return new RelayCallSession(await this.relay.open(callId, ''));
  }
}

class RelayCallSession implements CallMediaSession {
  constructor(private readonly s: RelaySession) {}

  async offer(callerSdp: string, carrier: string): Promise<string> {
    this.s.setCarrier(carrier);
    this.point('a', callerSdp);
    return this.rewrite(callerSdp, 'b');
  }

  async answer(carrierSdp: string): Promise<string> {
    this.point('b', carrierSdp);
    return this.rewrite(carrierSdp, 'a');
  }

  async reoffer(from: MediaLeg, sdp: string): Promise<string> {
    this.point(LEG[from], sdp);
    return this.rewrite(sdp, OTHER[from]);
  }

  async reanswer(to: MediaLeg, sdp: string): Promise<string> {
    this.point(OTHER[to], sdp);
    return this.rewrite(sdp, LEG[to]);
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

  /** Where a leg's RTP should go, from the SDP that leg sent. */
  private point(leg: LegName, sdp: string): void {
    const t = mediaTarget(sdp);
    if (!t.ok) throw t.error;
    const r = this.s.setRemote(leg, {
      address: t.value.address, rtpPort: t.value.rtpPort, rtcpPort: t.value.rtcpPort, rtcpAddress: t.value.rtcpAddress,
      rtcpMux: t.value.rtcpMux, direction: t.value.direction,
    });
    if (!r.ok) throw r.error;
  }

  /** The SDP to send toward `leg`: the other side's SDP with our address and ports on that leg. */
  private rewrite(sdp: string, leg: LegName): string {
    const local = this.s.local(leg);
    const r = rewriteSdp(sdp, { address: local.address, rtpPort: local.rtpPort, rtcpPort: local.rtcpPort });
    if (!r.ok) throw r.error;
    return r.value;
  }
}

function direction(f: FlowStats): DirectionStats {
  const d: DirectionStats = { expected: f.expected, received: f.received, lost: Math.max(0, f.lost), fractionLost: f.fractionLost, jitterMs: f.jitterMs };
  if (f.remoteReport) d.rtcpFractionLost = f.remoteReport.fractionLost;
  return d;
}
