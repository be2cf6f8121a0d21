/**
 * Reception statistics for one incoming RTP stream: RFC 3550 Appendix A.1 (source init, sequence
 * validation with probation, 16-bit wrap-around, resync after a large jump), A.3 (expected, lost,
 * interval fraction lost) and A.8 (interarrival jitter), plus the far end's own view from RTCP.
 *
 * Deviations from the appendix, and why:
 *  - Totals survive a resync or an SSRC change: the appendix's init_seq() zeroes the counters; here
 *    the finished epoch's expected/received are banked first, so a call's loss is not forgotten when
 *    the carrier switches media servers (new SSRC, new sequence space) mid-call.
 *  - A new SSRC restarts probation (the appendix keeps one state per SSRC; a relay sees one stream
 *    per direction, so a new SSRC is that stream's new source).
 *  - Jitter is updated only for packets update_seq() accepts (not during probation, not for the
 *    first packet of a jump), and its reference transit is reset on resync, so one restart of the
 *    sender's timestamps does not inject a huge bogus difference.
 * Times are milliseconds on any clock the caller uses consistently.
 */
import { rtpHeaderLength, type ReportBlock, type SenderInfo } from './packet';

const RTP_SEQ_MOD = 1 << 16;
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;

export interface StreamTotals {
  expected: number;
  received: number;
  /** expected − received: negative when duplicates outnumber losses (RFC 3550 A.3). */
  lost: number;
}

/** The far end's report on this stream (an RR/SR report block sent by the stream's receiver). */
export interface RemoteReport {
  at: number;
  reporterSsrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  jitterMs: number;
}

/** The stream sender's own SR (what it says it sent). */
export interface RemoteSenderReport {
  at: number;
  ssrc: number;
  packetCount: number;
  octetCount: number;
}

export interface IntervalSample {
  at: number;
  /** Since the previous sample (or since the stats began / the first packet). */
  intervalMs: number;
  expected: number;
  received: number;
  lost: number;
  /** lost / expected in this interval, 0 when nothing was expected or duplicates outnumber losses (A.3). */
  fractionLost: number;
  jitterMs: number;
  totals: StreamTotals;
}

export interface StreamSnapshot extends StreamTotals {
  ssrc: number | undefined;
  /** Every RTP packet seen from the source, probation and duplicates included. */
  packets: number;
  bytes: number;
  /** lost / expected over the whole stream, clamped to 0–1. */
  fractionLost: number;
  /** Interarrival jitter (A.8), timestamp units. */
  jitter: number;
  jitterMs: number;
  /** Packets that arrived behind the highest sequence number (reordered or duplicate). */
  late: number;
  resyncs: number;
  ssrcChanges: number;
  probation: boolean;
  firstPacketAt: number | undefined;
  lastPacketAt: number | undefined;
  remoteReport: RemoteReport | undefined;
  remoteSenderReport: RemoteSenderReport | undefined;
}

export interface ReceiverStatsOptions {
  /** RTP clock rate (Hz) for jitter in ms; default 8000 (PCMU/PCMA/G.729/G.722's RTP clock). */
  clockRate?: number;
  /** When the stats began; the first sample's interval starts here (default: first packet). */
  now?: number;
}

export class ReceiverStats {
  readonly clockRate: number;
  private ssrc = -1;
  // A.1 per-source state (current epoch).
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  private epochReceived = 0;
  // Banked totals of finished epochs, and the A.3 "prior" values for interval sampling.
  private bankedExpected = 0;
  private bankedReceived = 0;
  private priorExpected = 0;
  private priorReceived = 0;
  private priorAt: number | undefined;
  // A.8 jitter, computed from deltas so the 32-bit timestamp wrap needs no care.
  private jitterUnits = 0;
  private lastArrivalUnits = Number.NaN;
  private lastTimestamp = 0;
  private packets = 0;
  private bytes = 0;
  private late = 0;
  private resyncs = 0;
  private ssrcChanges = 0;
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private remote: RemoteReport | undefined;
  private remoteSender: RemoteSenderReport | undefined;

  constructor(opts: ReceiverStatsOptions = {}) {
    this.clockRate = opts.clockRate ?? 8000;
    this.priorAt = opts.now;
  }

  /** Validates `buf` as RTP and records it; false when it is not valid RTP. */
  onPacket(buf: Buffer, arrivalMs: number): boolean {
    if (rtpHeaderLength(buf) < 0) return false;
    this.onRtp(buf.readUInt16BE(2), buf.readUInt32BE(4), buf.readUInt32BE(8), buf.length, arrivalMs);
    return true;
  }

  /** Records one RTP packet; returns whether A.1's update_seq() accepted it as valid. */
  onRtp(seq: number, timestamp: number, ssrc: number, bytes: number, arrivalMs: number): boolean {
    this.packets++;
    this.bytes += bytes;
    this.lastAt = arrivalMs;
    if (this.firstAt === undefined) this.firstAt = arrivalMs;
    if (ssrc !== this.ssrc) {
      if (this.ssrc !== -1) this.ssrcChanges++;
      this.startSource(seq);
      this.ssrc = ssrc;
    }
    if (!this.updateSeq(seq)) return false;
    this.updateJitter(timestamp, arrivalMs);
    return true;
  }

  get expected(): number {
    return this.bankedExpected + this.epochExpected();
  }

  get received(): number {
    return this.bankedReceived + this.epochReceived;
  }

  get lost(): number {
    return this.expected - this.received;
  }

  get jitterMs(): number {
    return (this.jitterUnits / this.clockRate) * 1000;
  }

  get lastPacketAt(): number | undefined {
    return this.lastAt;
  }

  get firstPacketAt(): number | undefined {
    return this.firstAt;
  }

  get currentSsrc(): number | undefined {
    return this.ssrc === -1 ? undefined : this.ssrc;
  }

  /** The report block the stream's receiver sent about it (RTCP RR / SR). */
  recordRemoteReport(reporterSsrc: number, block: ReportBlock, now: number): void {
    this.remote = {
      at: now, reporterSsrc, fractionLost: block.fractionLost, cumulativeLost: block.cumulativeLost,
      extendedHighestSeq: block.extendedHighestSeq, jitter: block.jitter, jitterMs: (block.jitter / this.clockRate) * 1000,
    };
  }

  /** The stream sender's SR: how many packets it says it sent. */
  recordSenderReport(ssrc: number, sender: SenderInfo, now: number): void {
    this.remoteSender = { at: now, ssrc, packetCount: sender.packetCount, octetCount: sender.octetCount };
  }

  /** Deltas since the previous sample (A.3's expected_prior / received_prior), and the totals. */
  sample(now: number): IntervalSample {
    const expected = this.expected;
    const received = this.received;
    const dExpected = expected - this.priorExpected;
    const dReceived = received - this.priorReceived;
    const dLost = dExpected - dReceived;
    const since = this.priorAt ?? this.firstAt ?? now;
    this.priorExpected = expected;
    this.priorReceived = received;
    this.priorAt = now;
    return {
      at: now,
      intervalMs: Math.max(0, now - since),
      expected: dExpected,
      received: dReceived,
      lost: dLost,
      fractionLost: dExpected <= 0 || dLost <= 0 ? 0 : dLost / dExpected,
      jitterMs: this.jitterMs,
      totals: { expected, received, lost: expected - received },
    };
  }

  snapshot(): StreamSnapshot {
    const expected = this.expected;
    const received = this.received;
    const lost = expected - received;
    return {
      ssrc: this.currentSsrc, packets: this.packets, bytes: this.bytes, expected, received, lost,
      fractionLost: expected > 0 && lost > 0 ? Math.min(1, lost / expected) : 0,
      jitter: this.jitterUnits, jitterMs: this.jitterMs, late: this.late, resyncs: this.resyncs, ssrcChanges: this.ssrcChanges,
      probation: this.probation > 0, firstPacketAt: this.firstAt, lastPacketAt: this.lastAt,
      remoteReport: this.remote, remoteSenderReport: this.remoteSender,
    };
  }

  private epochExpected(): number {
    return this.probation > 0 || this.ssrc === -1 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Adds the current epoch's counts to the totals before init_seq() zeroes them. */
  private bankEpoch(): void {
    this.bankedExpected += this.epochExpected();
    this.bankedReceived += this.epochReceived;
  }

  /** A.1 init_seq(). */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.epochReceived = 0;
    this.lastArrivalUnits = Number.NaN;
  }

  /** A.1's source initialisation: a new source is on probation for MIN_SEQUENTIAL packets. */
  private startSource(seq: number): void {
    this.bankEpoch();
    this.initSeq(seq);
    this.maxSeq = (seq - 1) & 0xffff;
    this.probation = MIN_SEQUENTIAL;
  }

  /** A.1 update_seq(): 1 (true) when the packet counts as received. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      // Packets must arrive in sequence while on probation.
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.epochReceived++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap; a smaller number means the 16-bit counter wrapped.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: accept it only when the next packet follows it (the sender restarted).
      if (seq === this.badSeq) {
        this.resyncs++;
        this.bankEpoch();
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    } else {
      // Duplicate or reordered packet: counted as received, so `lost` can go negative.
      this.late++;
    }
    this.epochReceived++;
    return true;
  }

  /** A.8: J += (|D| − J) / 16, D the difference in transit time of consecutive packets. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    const arrivalUnits = (arrivalMs * this.clockRate) / 1000;
    if (!Number.isNaN(this.lastArrivalUnits)) {
      let d = arrivalUnits - this.lastArrivalUnits - ((timestamp - this.lastTimestamp) | 0);
      if (d < 0) d = -d;
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.lastArrivalUnits = arrivalUnits;
    this.lastTimestamp = timestamp;
  }
}
