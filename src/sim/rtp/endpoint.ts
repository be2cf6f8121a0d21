/**
 * One call's RTP on the carrier side: an RTP socket and its RTCP neighbour. Received RTP is counted
 * and, in `echo` mode, sent back as is; in `send` mode the carrier generates its own 50 packets/s
 * stream once the far end is known (the answer) and does not echo. Everything the carrier sends
 * goes through its media path: dropped (rtpDropPercent) or delayed (rtpJitterMs), read live.
 *
 * Symmetric RTP: packets go to the address the far end's RTP last came from (latched), else to the
 * SDP address. A new SDP address (re-INVITE/UPDATE) unlatches until RTP arrives again.
 *
 * RTCP (rtcp.ts): once RTP flows, a report every 5 s (the first after 2.5 s) from the RTCP socket —
 * RR on the stream received, SR first in `send` mode — to where the far end's RTCP comes from, else
 * its RTP port + 1 (the simulator never agrees to rtcp-mux). RTCP is not subject to rtpDropPercent.
 */
import type dgram from 'node:dgram';
import type { MediaEndpoint, MediaLink, RemoteMedia } from '../media';
import { shouldDrop } from '../prng';
import { DelayLine } from './delay-line';
import { readRtp } from './packet';
import { Pacer } from './pacer';
import type { PortAllocator, PortPair } from './ports';
import { ReceiveStats } from './receive-stats';
import { compoundReport, ReportInterval, RTCP_FIRST_MS, RTCP_INTERVAL_MS, type SenderState } from './rtcp';
import { PTIME_MS, RtpSource } from './source';

interface Peer { address: string; port: number }

export class CarrierRtpEndpoint implements MediaEndpoint {
  readonly ready: Promise<void>;
  private pair: PortPair | undefined;
  private remote: RemoteMedia | undefined;
  private latched: Peer | undefined;
  private pacer: Pacer | undefined;
  private closed = false;
  private readonly line: DelayLine;
  // RTCP: what we receive (one source at a time), what we send, where the far end's RTCP comes from.
  private rx: { ssrc: number; stats: ReceiveStats } | undefined;
  private readonly interval = new ReportInterval();
  private readonly rtcpSsrc: number;
  private sender: (SenderState & { ssrc: number }) | undefined;
  private rtcpPeer: Peer | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;

  constructor(readonly address: string, private readonly link: MediaLink, private readonly ports: PortAllocator) {
    this.line = new DelayLine(link.random);
    this.rtcpSsrc = Math.floor(link.random() * 2 ** 32) >>> 0;
    this.ready = ports.bindPair().then((pair) => this.attach(pair));
    this.ready.catch((err: unknown) => link.log.warn({ err }, 'no RTP port for the call'));
  }

  get port(): number {
    return this.pair?.port ?? 0;
  }

  update(remote: RemoteMedia): void {
    if (this.closed) return;
    const moved = this.remote?.address !== remote.address || this.remote.port !== remote.port;
    this.remote = remote;
    if (moved) {
      this.latched = undefined;
      this.rtcpPeer = undefined;
    }
    if (this.link.mode === 'send' && remote.port > 0) this.startSending(remote.payloadType);
    if (remote.port === 0) this.pacer?.stop(); // stream removed: nothing to send to
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pacer?.stop();
    clearTimeout(this.rtcpTimer);
    this.line.clear();
    if (this.pair) this.release(this.pair);
  }

  private attach(pair: PortPair): void {
    this.link.portsChanged(2);
    if (this.closed) {
      this.release(pair);
      return;
    }
    this.pair = pair;
    pair.rtp.on('message', (data, rinfo) => this.onRtp(data, rinfo));
    pair.rtcp.on('message', (data, rinfo) => this.onRtcp(data, rinfo));
    for (const s of [pair.rtp, pair.rtcp]) s.on('error', (err) => this.link.log.debug({ err }, 'RTP socket error'));
  }

  private onRtp(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const h = readRtp(data);
    if (!h) {
      this.link.counters.rtpIgnored++;
      return;
    }
    this.link.counters.rtpReceived++;
    if (this.latched?.port !== rinfo.port || this.latched.address !== rinfo.address) this.latched = { address: rinfo.address, port: rinfo.port };
    if (this.rx?.ssrc !== h.ssrc) {
      this.rx = { ssrc: h.ssrc, stats: new ReceiveStats() };
      this.interval.reset();
    }
    this.rx.stats.add(h.seq, h.timestamp, Date.now());
    this.startRtcp();
    if (this.link.mode === 'echo') this.emit(data);
  }

  /** The far end's RTCP: counted as "not RTP" (as before), and its source remembered (symmetric RTCP). */
  private onRtcp(data: Buffer, rinfo: dgram.RemoteInfo): void {
    this.link.counters.rtpIgnored++;
    const pt = data[1] ?? 0;
    if (!this.closed && data.length >= 8 && data[0]! >> 6 === 2 && pt >= 200 && pt <= 204) this.rtcpPeer = { address: rinfo.address, port: rinfo.port };
  }

  private startRtcp(): void {
    if (this.rtcpTimer || this.closed) return;
    const tick = (): void => {
      if (this.closed) return;
      this.sendRtcp();
      this.rtcpTimer = setTimeout(tick, RTCP_INTERVAL_MS);
      this.rtcpTimer.unref();
    };
    this.rtcpTimer = setTimeout(tick, RTCP_FIRST_MS);
    this.rtcpTimer.unref();
  }

  private sendRtcp(): void {
    const sock = this.pair?.rtcp;
    const to = this.rtcpPeer ?? (this.latched ? { address: this.latched.address, port: this.latched.port + 1 } : undefined)
      ?? (this.remote && this.remote.port > 0 ? { address: this.remote.address, port: this.remote.port + 1 } : undefined);
    if (this.closed || !sock || !to) return;
    const got = this.rx?.stats.summary();
    const rx = this.rx && got && { source: this.rx.ssrc, stats: this.rx.stats, fraction: this.interval.next(got.expected, got.received) };
    const packet = compoundReport(this.sender?.ssrc ?? this.rtcpSsrc, `trunkwise-sim@${this.address}`, Date.now(), rx, this.sender);
    sock.send(packet, to.port, to.address, (err) => {
      if (err) this.link.log.debug({ err }, 'RTCP send failed');
    });
  }

  private startSending(payloadType: number): void {
    if (this.pacer?.running) return;
    const source = new RtpSource(this.link.random, payloadType);
    const sender = { ssrc: source.ssrc, packets: 0, octets: 0, rtpTimestamp: 0 };
    this.sender = sender;
    this.pacer = new Pacer(PTIME_MS, () => {
      const packet = source.next();
      // Counted as generated (the SR describes the stream as sent, before the simulated path drops any).
      sender.packets++;
      sender.octets += packet.length - 12;
      sender.rtpTimestamp = packet.readUInt32BE(4);
      this.emit(packet);
    });
    this.pacer.begin();
    this.startRtcp();
  }

  /** Through the carrier's media path: maybe dropped, maybe delayed, then to the far end. */
  private emit(packet: Buffer): void {
    const { dropPercent, jitterMs } = this.link.impairments();
    if (shouldDrop(this.link.random, dropPercent)) {
      this.link.counters.rtpDropped++;
      return;
    }
    this.line.push(jitterMs, () => {
      const to = this.latched ?? this.remote;
      const sock = this.pair?.rtp;
      if (this.closed || !to || !sock || to.port === 0) return;
      this.link.counters.rtpSent++;
      sock.send(packet, to.port, to.address, (err) => {
        if (err) this.link.log.debug({ err }, 'RTP send failed');
      });
    });
  }

  private release(pair: PortPair): void {
    for (const s of [pair.rtp, pair.rtcp]) {
      try {
        s.close(() => this.link.portsChanged(-1));
      } catch {
        this.link.portsChanged(-1); // already closed
      }
    }
    this.ports.release(pair.port);
  }
}
