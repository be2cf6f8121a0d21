/**
 * One direction of a relayed call: the stream one leg sends us (measured where it arrives) and
 * what became of its packets. `a→b` is the stream from the caller / IVR (received on leg a,
 * forwarded out of leg b); `b→a` is the stream from the carrier.
 */
import { ReceiverStats, type StreamSnapshot } from '../rtp/receiver-stats';

export type FlowName = 'a→b' | 'b→a';
export const A_TO_B: FlowName = 'a→b';
export const B_TO_A: FlowName = 'b→a';

export interface FlowStats extends StreamSnapshot {
  /** RTP packets sent on toward the other leg, and their bytes. */
  forwarded: number;
  forwardedBytes: number;
  /** Dropped because the other leg's remote was not known yet (no SDP from it). */
  droppedNoRemote: number;
  /** Dropped because the other leg is on hold (port 0, 0.0.0.0, sendonly, inactive). */
  droppedHold: number;
  /** Dropped because they came from a source other than the latched one (see latch.ts). */
  droppedForeign: number;
  /** Not valid RTP / RTCP. */
  invalid: number;
  rtcpReceived: number;
  rtcpForwarded: number;
  rtcpDropped: number;
  /** The inactivity timeout has passed with no RTP (reported through onInactive). */
  inactive: boolean;
}

export class Flow {
  readonly stats: ReceiverStats;
  forwarded = 0;
  forwardedBytes = 0;
  droppedNoRemote = 0;
  droppedHold = 0;
  droppedForeign = 0;
  invalid = 0;
  rtcpReceived = 0;
  rtcpForwarded = 0;
  rtcpDropped = 0;
  inactive = false;
  /** Last packet before the silence that made this flow inactive. */
  silentSince = 0;
  /** When the source leg last came off hold (silence before it is not held against the flow). */
  expectedSince = 0;

  constructor(readonly name: FlowName, clockRate: number, now: number) {
    this.stats = new ReceiverStats({ clockRate, now });
  }

  snapshot(): FlowStats {
    return {
      ...this.stats.snapshot(),
      forwarded: this.forwarded, forwardedBytes: this.forwardedBytes, droppedNoRemote: this.droppedNoRemote,
      droppedHold: this.droppedHold, droppedForeign: this.droppedForeign, invalid: this.invalid,
      rtcpReceived: this.rtcpReceived, rtcpForwarded: this.rtcpForwarded, rtcpDropped: this.rtcpDropped, inactive: this.inactive,
    };
  }
}
