/**
 * A G.711 source: 20 ms packets of 160 samples (8 kHz), silence payload, a random SSRC and random
 * initial sequence number and timestamp (RFC 3550 §5.1), the marker bit on the first packet.
 */
import type { Random } from '../prng';
import { writeRtp } from './packet';

export const PTIME_MS = 20;
export const SAMPLES_PER_PACKET = 160;

/** G.711 silence: µ-law 0xFF, A-law 0xD5 (a pattern a receiver can still tell from junk). */
const SILENCE: Readonly<Record<number, number>> = { 0: 0xff, 8: 0xd5 };

export class RtpSource {
  readonly ssrc: number;
  private seq: number;
  private timestamp: number;
  private first = true;
  private readonly payload: Buffer;

  constructor(random: Random, readonly payloadType = 0) {
    this.ssrc = Math.floor(random() * 2 ** 32) >>> 0;
    this.seq = Math.floor(random() * 2 ** 16);
    this.timestamp = Math.floor(random() * 2 ** 32) >>> 0;
    this.payload = Buffer.alloc(SAMPLES_PER_PACKET, SILENCE[payloadType] ?? 0xff);
  }

  /** The next packet; sequence and timestamp advance whether or not the caller sends it. */
  next(): Buffer {
    const b = writeRtp({ payloadType: this.payloadType, marker: this.first, seq: this.seq, timestamp: this.timestamp, ssrc: this.ssrc }, this.payload);
    this.first = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + SAMPLES_PER_PACKET) >>> 0;
    return b;
  }
}
