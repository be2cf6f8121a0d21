/**
 * One relayed call: two legs (a faces the caller / IVR, b faces the carrier), each with an RTP and
 * an RTCP socket; RTP in on one leg goes out of the other leg's RTP socket, RTCP likewise between
 * the RTCP sockets (or the RTP socket of a leg that muxes, RFC 5761). Created by MediaRelay.open().
 *
 * Hot path (onRtp): one clock read, a header check, the latch compare, the stats update, one send —
 * no allocation, no logging. RTCP (a few packets per 5 s) is parsed for the report blocks.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';
import { fail, type Result } from '../errors';
import { isRtcp, parseRtcp, rtpHeaderLength, type ReportBlock } from '../rtp/packet';
import type { IntervalSample } from '../rtp/receiver-stats';
import { Flow, type FlowName, type FlowStats } from './flow';
import { LATCH_FOREIGN, type SourceLatch } from './latch';
import { Leg, type LegName, type LegView, type LocalEndpoint, type RemoteEndpoint } from './leg';
import type { PortPair } from './port-pool';

export interface SessionStats {
  id: number;
  callId: string;
  carrier: string;
  openedAt: number;
  closed: boolean;
  'a→b': FlowStats;
  'b→a': FlowStats;
  /** First RTP packet in either direction. */
  mediaStartedAt: number | undefined;
  lastPacketAt: number | undefined;
  legs: { a: LegView; b: LegView };
}

export interface SessionSample {
  at: number;
  'a→b': IntervalSample;
  'b→a': IntervalSample;
}

/** `silentMs` > 0: the flow went silent; `silentMs` = 0: it resumed after a gap of `gapMs`. */
export type InactivityHandler = (session: RelaySession, direction: FlowName, silentMs: number, gapMs: number) => void;

/** What a session needs from its relay (kept narrow so a session can be built in isolation). */
export interface SessionHost {
  clock(): number;
  advertisedAddress: string;
  family: 4 | 6;
  relatchMs: number;
  clockRate: number;
  log: Logger | undefined;
  inactivity(session: RelaySession, direction: FlowName, silentMs: number, gapMs: number): void;
  closed(session: RelaySession, pairs: readonly PortPair[]): Promise<void>;
}

export class RelaySession {
  readonly openedAt: number;
  private readonly a: Leg;
  private readonly b: Leg;
  private readonly ab: Flow;
  private readonly ba: Flow;
  private closing: Promise<void> | undefined;
  private carrierName: string;

  constructor(
    readonly id: number,
    readonly callId: string,
    carrier: string,
    pairA: PortPair,
    pairB: PortPair,
    private readonly host: SessionHost,
  ) {
    this.carrierName = carrier;
    this.openedAt = host.clock();
    const log = host.log?.child({ callId, carrier, media: id });
    this.a = new Leg('a', pairA, host.family, host.relatchMs, log);
    this.b = new Leg('b', pairB, host.family, host.relatchMs, log);
    this.ab = new Flow('a→b', host.clockRate, this.openedAt);
    this.ba = new Flow('b→a', host.clockRate, this.openedAt);
    this.listen(this.a, this.b, this.ab, this.ba, log);
    this.listen(this.b, this.a, this.ba, this.ab, log);
  }

  get carrier(): string {
    return this.carrierName;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** After crankback to another carrier on the same b leg (stats are not reset). */
  setCarrier(carrier: string): void {
    this.carrierName = carrier;
  }

  /** Our address and ports for the SDP we send toward `leg`. */
  local(leg: LegName): LocalEndpoint {
    const p = this.leg(leg).pair;
    return { address: this.host.advertisedAddress, rtpPort: p.rtpPort, rtcpPort: p.rtcpPort };
  }

  /**
   * The leg's media address from its SDP (offer, answer, re-INVITE, UPDATE). A changed address or
   * port restarts latching for that leg; port 0, c=0.0.0.0 / ::, a=sendonly and a=inactive stop RTP
   * toward it (RTCP still goes unless port 0 / 0.0.0.0). Errors (not an IP literal, wrong family)
   * leave the previous remote in place.
   */
  setRemote(leg: LegName, remote: RemoteEndpoint): Result<void> {
    if (this.closed) return fail('E_MEDIA_CLOSED', `session ${this.id} (${this.callId})`);
    const l = this.leg(leg);
    const wasQuiet = l.quietBySdp;
    const r = l.setRemote(remote);
    // Off hold: the leg gets a full timeout to start sending again before its silence is a fault.
    if (r.ok && wasQuiet && !l.quietBySdp) (leg === 'a' ? this.ab : this.ba).expectedSince = this.host.clock();
    return r;
  }

  /** Where packets toward `leg` go now, what its SDP said, whether it is latched or held. */
  remote(leg: LegName): LegView {
    return this.leg(leg).view();
  }

  stats(): SessionStats {
    const ab = this.ab.snapshot();
    const ba = this.ba.snapshot();
    return {
      id: this.id, callId: this.callId, carrier: this.carrierName, openedAt: this.openedAt, closed: this.closed,
      'a→b': ab, 'b→a': ba,
      mediaStartedAt: minDefined(ab.firstPacketAt, ba.firstPacketAt),
      lastPacketAt: maxDefined(ab.lastPacketAt, ba.lastPacketAt),
      legs: { a: this.a.view(), b: this.b.view() },
    };
  }

  /** Loss / jitter per direction since the previous sample() (for a live per-carrier loss window). */
  sample(now: number = this.host.clock()): SessionSample {
    return { at: now, 'a→b': this.ab.stats.sample(now), 'b→a': this.ba.stats.sample(now) };
  }

  /** Closes all four sockets and returns the ports; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.host.closed(this, [this.a.pair, this.b.pair]);
    return this.closing;
  }

  /** Called by the relay's timer: report flows silent for `timeoutMs` after media had started. */
  checkInactivity(now: number, timeoutMs: number): void {
    this.checkFlow(this.ab, this.a, now, timeoutMs);
    this.checkFlow(this.ba, this.b, now, timeoutMs);
  }

  private checkFlow(flow: Flow, source: Leg, now: number, timeoutMs: number): void {
    const last = flow.stats.lastPacketAt;
    if (flow.inactive || last === undefined || source.quietBySdp) return;
    const silent = now - Math.max(last, flow.expectedSince);
    if (silent < timeoutMs) return;
    flow.inactive = true;
    flow.silentSince = last;
    this.host.inactivity(this, flow.name, silent, 0);
  }

  private leg(name: LegName): Leg {
    return name === 'a' ? this.a : this.b;
  }

  private listen(src: Leg, dst: Leg, flow: Flow, back: Flow, log: Logger | undefined): void {
    src.pair.rtp.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => this.onRtp(src, dst, flow, back, msg, rinfo));
    src.pair.rtcp.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => this.onRtcp(src, src.rtcpLatch, 'rtcp', dst, flow, back, msg, rinfo));
    // Errors on these sockets are sends toward `src` failing (ENETUNREACH…). Without a listener they
    // would crash the process; log only the first per leg.
    const onError = (err: Error): void => {
      if (src.sendErrors++ === 0) log?.warn({ leg: src.name, err: err.message }, 'media socket error');
    };
    src.pair.rtp.on('error', onError);
    src.pair.rtcp.on('error', onError);
  }

  private onRtp(src: Leg, dst: Leg, flow: Flow, back: Flow, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    if (isRtcp(msg)) {
      this.onRtcp(src, src.rtpLatch, 'rtp', dst, flow, back, msg, rinfo);
      return;
    }
    if (rtpHeaderLength(msg) < 0) {
      flow.invalid++;
      return;
    }
    const now = this.host.clock();
    const latched = src.rtpLatch.accept(rinfo.address, rinfo.port, now);
    if (latched === LATCH_FOREIGN) {
      flow.droppedForeign++;
      return;
    }
    src.onLatch(latched, 'rtp');
    flow.stats.onRtp(msg.readUInt16BE(2), msg.readUInt32BE(4), msg.readUInt32BE(8), msg.length, now);
    if (flow.inactive) {
      flow.inactive = false;
      this.host.inactivity(this, flow.name, 0, now - flow.silentSince);
    }
    if (dst.rtpSendable) {
      dst.pair.rtp.send(msg, dst.rtpPort, dst.rtpAddress);
      flow.forwarded++;
      flow.forwardedBytes += msg.length;
    } else if (dst.sdp === undefined) {
      flow.droppedNoRemote++;
    } else {
      flow.droppedHold++;
    }
  }

  private onRtcp(src: Leg, latch: SourceLatch, which: 'rtp' | 'rtcp', dst: Leg, flow: Flow, back: Flow, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    const packets = parseRtcp(msg);
    if (!packets) {
      flow.invalid++;
      return;
    }
    const now = this.host.clock();
    const latched = latch.accept(rinfo.address, rinfo.port, now);
    if (latched === LATCH_FOREIGN) {
      flow.droppedForeign++;
      return;
    }
    src.onLatch(latched, which);
    flow.rtcpReceived++;
    for (const p of packets) {
      if (p.type === 'other') continue;
      // The leg reports on the stream it receives from us (the opposite flow); its SR describes its own.
      if (p.type === 'SR') flow.stats.recordSenderReport(p.ssrc, p.sender, now);
      const block = pickBlock(p.reports, back.stats.currentSsrc);
      if (block) back.stats.recordRemoteReport(p.ssrc, block, now);
    }
    if (!dst.rtcpSendable) {
      flow.rtcpDropped++;
      return;
    }
    (dst.rtcpViaRtpSocket ? dst.pair.rtp : dst.pair.rtcp).send(msg, dst.rtcpPort, dst.rtcpAddress);
    flow.rtcpForwarded++;
  }
}

/** The block about the SSRC we forward (the relay does not rewrite SSRCs); the first when unknown. */
function pickBlock(blocks: readonly ReportBlock[], ssrc: number | undefined): ReportBlock | undefined {
  if (ssrc === undefined) return blocks[0];
  return blocks.find((b) => b.ssrc === ssrc);
}

const minDefined = (x: number | undefined, y: number | undefined): number | undefined =>
  x === undefined ? y : y === undefined ? x : Math.min(x, y);
const maxDefined = (x: number | undefined, y: number | undefined): number | undefined =>
  x === undefined ? y : y === undefined ? x : Math.max(x, y);
