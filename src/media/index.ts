/** src/media: the embedded RTP relay, RFC 3550 statistics, SDP target / rewrite. */
export { MEDIA_ERRORS, MediaError, type MediaErrorCode, type Result } from './errors';
export { MediaRelay, type MediaRelayOptions, type RelayStats } from './relay/relay';
export { RelaySession, type SessionStats, type SessionSample, type InactivityHandler } from './relay/session';
export { A_TO_B, B_TO_A, type FlowName, type FlowStats } from './relay/flow';
export type { LegName, LegView, LocalEndpoint, RemoteEndpoint, MediaDirection } from './relay/leg';
export { PortPool, type PortPair, type PortPoolOptions } from './relay/port-pool';
export { ReceiverStats, type IntervalSample, type StreamSnapshot, type StreamTotals, type RemoteReport } from './rtp/receiver-stats';
export { parseRtp, parseRtcp, isRtcp, rtpHeaderLength, type RtpHeader, type RtcpPacket, type ReportBlock } from './rtp/packet';
export { mediaTarget, rewriteSdp, type MediaTarget, type Codec, type RewriteOptions } from './sdp';
export { RtcpMuxNegotiation, type MuxOfferResult } from './rtcp-mux';
