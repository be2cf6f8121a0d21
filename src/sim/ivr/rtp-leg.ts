/**
 * One IVR call's media: the RTP port pair it advertised, a PCMU stream (50 packets/s) sent from that
 * socket to the answer's address once the call is up, and receive statistics per SSRC for whatever
 * comes back. `dropPercent` of the packets are dropped before sending (their sequence numbers are
 * still used, so the far end sees them as lost).
 *
 * Loss counts what a listener would miss, not only the gaps between packets that did arrive: when
 * the far end's stream stops early (its media path dies, the carrier goes away), the packets missing
 * after the last one received — the tail — are lost too, and so is a head missing before the first.
 * An echoed stream (our own SSRC coming back) is judged exactly by our sequence numbers; another
 * stream by time: it should have kept arriving every ptime until the media ended. Packets sent in
 * the last TAIL_GRACE_MS before the media ended may still be on their way and are not counted.
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
  /** Of `lost`: missing after the last packet received (and, for an echo, before the first). */
  tailLost: number;
}

/** Packets sent this close to the end of the media may legitimately still be in flight. */
export const TAIL_GRACE_MS = 100;

/** Per received SSRC: the first sequence number and the last arrival, for head and tail loss. */
interface StreamEnds { firstSeq: number; lastArrivalMs: number }

export interface RtpTarget { address: string; port: number; payloadType: number }

export class RtpLeg {
  private sent = 0;
  private dropped = 0;
  private ignored = 0;
  private readonly streams = new Map<number, ReceiveStats>();
  private readonly ends = new Map<number, StreamEnds>();
  private source: RtpSource | undefined;
  private firstSeq = 0;
  /** Send times of the packets generated (sent or dropped on purpose), newest last, bounded. */
  private readonly recentGen: number[] = [];
  private generated = 0;
  /** When our media ended (we stopped sending or closed): the far end's stream was due until then. */
  private endedAt: number | undefined;
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
    this.source = source;
    this.pacer = new Pacer(PTIME_MS, () => this.emit(source.next()));
    this.pacer.begin();
  }

  stopSending(): void {
    this.pacer?.stop();
    this.endedAt ??= performance.now();
  }

  stats(): RtpLegStats {
    const s: RtpLegStats = { sent: this.sent, dropped: this.dropped, received: 0, expected: 0, lost: 0, duplicates: 0, jitterMs: 0, maxGapMs: 0, tailLost: 0 };
    for (const [ssrc, r] of this.streams) {
      const x = r.summary();
      const missing = this.missingEnds(ssrc, x.expected);
      s.received += x.received;
      s.expected += x.expected + missing;
      s.lost += x.lost + missing;
      s.tailLost += missing;
      s.duplicates += x.duplicates;
      s.jitterMs = Math.max(s.jitterMs, x.jitterMs);
      s.maxGapMs = Math.max(s.maxGapMs, x.maxGapMs);
    }
    return s;
  }

  close(): Promise<void> {
    this.stopSending();
    this.closing ??= Promise.all([this.pair.rtp, this.pair.rtcp].map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    }))).then(() => this.ports.release(this.pair.port));
    return this.closing;
  }

  /**
   * Packets of stream `ssrc` that never arrived before its first or after its last received one.
   * `expectedBetween` = the span the receive statistics already count (first → highest received).
   */
  private missingEnds(ssrc: number, expectedBetween: number): number {
    const ends = this.ends.get(ssrc);
    if (!ends) return 0;
    const end = this.endedAt ?? performance.now();
    if (this.source && ssrc === this.source.ssrc) {
      // Our own stream echoed: every packet generated up to the grace window was due back.
      const due = this.generated - this.recentGen.filter((at) => at > end - TAIL_GRACE_MS).length;
      const head = (ends.firstSeq - this.firstSeq + 0x10000) % 0x10000;
      return head + Math.max(0, due - (head + expectedBetween));
    }
    return Math.max(0, Math.floor((end - TAIL_GRACE_MS - ends.lastArrivalMs) / PTIME_MS));
  }

  private emit(packet: Buffer): void {
    const to = this.target;
    if (!to || this.closing) return;
    if (this.generated === 0) this.firstSeq = packet.readUInt16BE(2);
    this.generated++;
    this.recentGen.push(performance.now());
    if (this.recentGen.length > 32) this.recentGen.shift();
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
    const now = performance.now();
    s.add(h.seq, h.timestamp, now);
    const e = this.ends.get(h.ssrc);
    if (e) e.lastArrivalMs = now;
    else this.ends.set(h.ssrc, { firstSeq: h.seq, lastArrivalMs: now });
  }
}
