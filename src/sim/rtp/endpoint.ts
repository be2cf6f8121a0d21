/**
 * One call's RTP on the carrier side: an RTP socket and its RTCP neighbour. Received RTP is counted
 * and, in `echo` mode, sent back as is; in `send` mode the carrier generates its own 50 packets/s
 * stream once the far end is known (the answer) and does not echo. Everything the carrier sends
 * goes through its media path: dropped (rtpDropPercent) or delayed (rtpJitterMs), read live.
 *
 * Symmetric RTP: packets go to the address the far end's RTP last came from (latched), else to the
 * SDP address. A new SDP address (re-INVITE/UPDATE) unlatches until RTP arrives again.
 */
import type dgram from 'node:dgram';
import type { MediaEndpoint, MediaLink, RemoteMedia } from '../media';
import { shouldDrop } from '../prng';
import { DelayLine } from './delay-line';
import { readRtp } from './packet';
import { Pacer } from './pacer';
import type { PortAllocator, PortPair } from './ports';
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

  constructor(readonly address: string, private readonly link: MediaLink, private readonly ports: PortAllocator) {
    this.line = new DelayLine(link.random);
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
    if (moved) this.latched = undefined;
    if (this.link.mode === 'send' && remote.port > 0) this.startSending(remote.payloadType);
    if (remote.port === 0) this.pacer?.stop(); // stream removed: nothing to send to
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pacer?.stop();
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
    pair.rtcp.on('message', () => void this.link.counters.rtpIgnored++);
    for (const s of [pair.rtp, pair.rtcp]) s.on('error', (err) => this.link.log.debug({ err }, 'RTP socket error'));
  }

  private onRtp(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (!readRtp(data)) {
      this.link.counters.rtpIgnored++;
      return;
    }
    this.link.counters.rtpReceived++;
    if (this.latched?.port !== rinfo.port || this.latched.address !== rinfo.address) this.latched = { address: rinfo.address, port: rinfo.port };
    if (this.link.mode === 'echo') this.emit(data);
  }

  private startSending(payloadType: number): void {
    if (this.pacer?.running) return;
    const source = new RtpSource(this.link.random, payloadType);
    this.pacer = new Pacer(PTIME_MS, () => this.emit(source.next()));
    this.pacer.begin();
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
