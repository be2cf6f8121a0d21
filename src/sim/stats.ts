/** Per-carrier counters. `activeCalls` is computed from live call state when read, so it cannot drift. */
export interface CarrierCounters {
  /** SIP messages received (before drops), every transport. */
  packetsReceived: number;
  /** New calls (first INVITE of a transaction, out of dialog). */
  invites: number;
  inviteRetransmissions: number;
  options: number;
  answered: number;
  /** Final non-2xx responses to new INVITEs, by status code (487 after CANCEL is under `cancelled`). */
  rejected: Record<string, number>;
  cancelled: number;
  byesReceived: number;
  byesSent: number;
  /** Carrier-sent BYEs that got no final response within 64×T1. */
  byeTimeouts: number;
  /** 2xx sent but no ACK within 64×T1 (the call was dropped). */
  ackTimeouts: number;
  droppedPackets: number;
  malformed: number;
  lastInviteAt: number | null;
  lastOptionsAt: number | null;
  /** Valid RTP packets received on the carrier's RTP sockets. */
  rtpReceived: number;
  /** RTP packets put on the wire (echoed or generated), after drops and jitter. */
  rtpSent: number;
  /** RTP packets the carrier meant to send but dropped (rtpDropPercent). */
  rtpDropped: number;
  /** Datagrams on the RTP/RTCP ports that were not RTP (RTCP, junk): ignored. */
  rtpIgnored: number;
}

/** The RTP counters an endpoint updates (a CarrierCounters satisfies it). */
export type RtpCounters = Pick<CarrierCounters, 'rtpReceived' | 'rtpSent' | 'rtpDropped' | 'rtpIgnored'>;

export interface CarrierStats extends CarrierCounters {
  activeCalls: number;
  /** UDP ports (RTP and RTCP, two per call with RTP) bound right now: 0 when idle, or a socket leaked. */
  rtpPortsInUse: number;
}

export function emptyCounters(): CarrierCounters {
  return {
    packetsReceived: 0, invites: 0, inviteRetransmissions: 0, options: 0, answered: 0, rejected: {}, cancelled: 0,
    byesReceived: 0, byesSent: 0, byeTimeouts: 0, ackTimeouts: 0, droppedPackets: 0, malformed: 0,
    lastInviteAt: null, lastOptionsAt: null, rtpReceived: 0, rtpSent: 0, rtpDropped: 0, rtpIgnored: 0,
  };
}

export function countRejected(c: CarrierCounters, status: number): void {
  const k = String(status);
  c.rejected[k] = (c.rejected[k] ?? 0) + 1;
}
