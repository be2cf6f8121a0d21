/**
 * One IVR call's media: the RTP port pair it advertised, a PCMU stream (50 packets/s) sent from that
 * socket to the answer's address once the call is up, and receive statistics per SSRC for whatever
 * comes back. `dropPercent` of the packets are dropped before sending (their sequence numbers are
 * still used, so the far end sees them as lost).
 */
import type { Logger } from 'pino';
import { shouldDrop, type Random } from '../prng';
import { Pacer } from '../rtp/pacer';
import { readRtp } from '../rtp/packet';
import type { PortAllocator, PortPair } from '../rtp/ports';
import { ReceiveStats } from '../rtp/receive-stats';
import { PTIME_MS, RtpSource } from '../rtp/source';

export interface RtpLegStats {
  sent: number;
  dropped: number;
  received: number;
  expected: number;
  lost: number;
  duplicates: number;
  /** Largest RFC 3550 interarrival jitter of the streams received, ms. */
  jitterMs: number;
  maxGapMs: number;
}

export interface RtpTarget { address: string; port: number; payloadType: number }

export class RtpLeg {
  private sent = 0;
  private dropped = 0;
  private ignored = 0;
  private readonly streams = new Map<number, ReceiveStats>();
  private pacer: Pacer | undefined;
  private target: RtpTarget | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly pair: PortPair, private readonly ports: PortAllocator, private readonly random: Random, private readonly dropPercent: number, private readonly log: Logger) {
    pair.rtp.on('message', (data) => this.onRtp(data));
    pair.rtcp.on('message', () => void this.ignored++);
    for (const s of [pair.rtp, pair.rtcp]) s.on('error', (err) => log.debug({ err }, 'IVR RTP socket error'));
  }

  static async open(ports: PortAllocator, random: Random, dropPercent: number, log: Logger): Promise<RtpLeg> {
    return new RtpLeg(await ports.bindPair(), ports, random, dropPercent, log);
  }

  get port(): number {
    return this.pair.port;
  }

  /** Send to `target` from now on (starts the stream on the first call). */
  start(target: RtpTarget): void {
    this.target = target;
    if (this.pacer || this.closing || target.port === 0) return;
    const source = new RtpSource(Math.random, target.payloadType === 8 ? 8 : 0);
    this.pacer = new Pacer(PTIME_MS, () => this.emit(source.next()));
    this.pacer.begin();
  }

  stopSending(): void {
    this.pacer?.stop();
  }

  stats(): RtpLegStats {
    const s: RtpLegStats = { sent: this.sent, dropped: this.dropped, received: 0, expected: 0, lost: 0, duplicates: 0, jitterMs: 0, maxGapMs: 0 };
    for (const r of this.streams.values()) {
      const x = r.summary();
      s.received += x.received;
      s.expected += x.expected;
      s.lost += x.lost;
      s.duplicates += x.duplicates;
      s.jitterMs = Math.max(s.jitterMs, x.jitterMs);
      s.maxGapMs = Math.max(s.maxGapMs, x.maxGapMs);
    }
    return s;
  }

  close(): Promise<void> {
    this.pacer?.stop();
    this.closing ??= Promise.all([this.pair.rtp, this.pair.rtcp].map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    }))).then(() => this.ports.release(this.pair.port));
    return this.closing;
  }

  private emit(packet: Buffer): void {
    const to = this.target;
    if (!to || this.closing) return;
    if (shouldDrop(this.random, this.dropPercent)) {
      this.dropped++;
      return;
    }
    this.sent++;
    this.pair.rtp.send(packet, to.port, to.address, (err) => {
      if (err) this.log.debug({ err }, 'IVR RTP send failed');
    });
  }

  private onRtp(data: Buffer): void {
    const h = readRtp(data);
    if (!h) {
      this.ignored++;
      return;
    }
    let s = this.streams.get(h.ssrc);
    if (!s) {
      if (this.streams.size >= 16) return; // bounded: a peer changing SSRC per packet is not a call
      s = new ReceiveStats();
      this.streams.set(h.ssrc, s);
    }
    s.add(h.seq, h.timestamp, performance.now());
  }
}
