/**
 * The media hook. A carrier opens one MediaEndpoint per call and advertises its address/port in the
 * SDP answer; `advertiseOnlyMedia()` opens nothing, `rtpMedia()` (src/sim/rtp) opens real RTP sockets
 * for calls whose carrier has `rtp: echo|send` and falls back to advertising only for `rtp: off`.
 */
import type { Logger } from 'pino';
import type { RtpMode } from './behaviour';
import type { Random } from './prng';
import type { RtpCounters } from './stats';

export interface RemoteMedia {
  address: string;
  port: number;
  /** The payload type chosen in the answer. */
  payloadType: number;
  codec: string;
}

/** One call's RTP endpoint on the carrier side. */
export interface MediaEndpoint {
  readonly address: string;
  readonly port: number;
  /**
   * Present when the port is only final once a socket is bound: the carrier waits for it before it
   * puts `port` in an SDP answer. A rejection means no port could be bound (the call gets 503).
   */
  readonly ready?: Promise<void>;
  /** The negotiated far end (after every offer/answer, including re-INVITE/UPDATE). */
  update(remote: RemoteMedia): void;
  /** The call ended: release the port / socket. */
  close(): void;
}

/** What a carrier hands its media factory for one call. */
export interface MediaLink {
  /** The carrier's RTP behaviour, captured when the INVITE arrived. */
  readonly mode: RtpMode;
  /** Live impairments of the carrier's media path, read for every packet sent. */
  impairments(): { dropPercent: number; jitterMs: number };
  /** The carrier's seeded PRNG for RTP (drops, jitter, SSRC/sequence/timestamp origins). */
  readonly random: Random;
  readonly counters: RtpCounters;
  /** A UDP port was bound (+1) or released (-1): feeds the carrier's rtpPortsInUse. */
  portsChanged(delta: number): void;
  readonly log: Logger;
}

export interface MediaFactory {
  open(callId: string, carrierId: string, link: MediaLink): MediaEndpoint;
}

/**
 * Advertises even ports from a range, cycling, and opens nothing. The port numbers are unique per
 * factory for `count` calls, which is all the SDP needs when no RTP flows.
 */
export function advertiseOnlyMedia(address = '127.0.0.1', firstPort = 40_000, count = 10_000): MediaFactory {
  let next = 0;
  return {
    open: () => {
      const port = firstPort + 2 * (next++ % count);
      return { address, port, update: () => undefined, close: () => undefined };
    },
  };
}
