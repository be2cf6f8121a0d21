/**
 * What a call needs from media anchoring, whatever does it (the embedded relay, rtpengine, or
 * nothing in `direct` mode). The call layer speaks only this; src/media implements it.
 *
 * Legs: `caller` faces the IVR platform (A leg), `carrier` faces the carrier trunk (B leg). Every
 * method that takes SDP returns the SDP to send on toward the other leg.
 */
export type MediaLeg = 'caller' | 'carrier';

/** Loss of one direction as measured by the anchor (RFC 3550 expected − received). */
export interface DirectionStats {
  expected: number;
  received: number;
  lost: number;
  /** lost / expected, 0..1 (0 when nothing expected). */
  fractionLost: number;
  jitterMs: number;
  /** The far endpoint's own view from its RTCP receiver reports, when it sends any. */
  rtcpFractionLost?: number;
}

/** Per-call media statistics for the CDR. */
export interface MediaCdr {
  mode: 'relay' | 'rtpengine' | 'direct';
  /** RTP received from the caller (measured on the caller leg). */
  fromCaller?: DirectionStats;
  /** RTP received from the carrier (measured on the carrier leg). */
  fromCarrier?: DirectionStats;
  /** First RTP packet to last, ms. */
  mediaDurationMs?: number;
}

/** An interval sample for live per-carrier loss: packets expected / lost from the carrier since the last sample. */
export interface MediaSample {
  expected: number;
  lost: number;
}

export interface CallMediaSession {
  /** The caller's offer (initial INVITE) → the offer to send the carrier. Called once per attempt. */
  offer(callerSdp: string, carrier: string): Promise<string>;
  /** The carrier's answer → the answer to send the caller. */
  answer(carrierSdp: string, carrier: string): Promise<string>;
  /** A re-INVITE / UPDATE offer from one leg → the offer to send the other leg. */
  reoffer(from: MediaLeg, sdp: string): Promise<string>;
  /** The other leg's answer to a re-offer from `to`'s peer → the answer to send back to `to`. */
  reanswer(to: MediaLeg, sdp: string): Promise<string>;
  /** Interval loss from the carrier since the previous call (undefined when the anchor cannot tell). */
  sample(now: number): Promise<MediaSample | undefined>;
  /** Final statistics; call before close(). */
  stats(): Promise<MediaCdr>;
  /** Release every port / stream. Idempotent; called on every call end path. */
  close(): Promise<void>;
}

export interface MediaAnchor {
  /** A session for one call; `fromTag` is the caller's From tag (rtpengine keys calls by Call-ID + tags). */
  open(callId: string, fromTag: string): Promise<CallMediaSession>;
}
