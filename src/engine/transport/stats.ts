/**
 * Transport counters, shaped for metrics: monotonic counters (one per drop reason, each message
 * dropped is counted under exactly one reason) and the open-connection gauge.
 */
import type { TransportProtocol } from '../../sip/message';
import type { ShedReason } from './shed';
export interface TcpStats {
  /** Gauge: TCP connections open now (inbound and outbound). */
  open: number;
  /** Inbound connections accepted by the kernel and seen by the engine (before the caps). */
  accepted: number;
  /** Outbound connections opened by the engine. */
  connected: number;
  /** Closed after tcpIdleTimeoutMs without a complete message (idle peers and slowloris). */
  closedIdle: number;
  /** Closed at accept: per-source or global connection cap reached. */
  closedCap: number;
  /** Closed at accept: foreign source in drop mode. */
  closedForeign: number;
  /** Closed because an incomplete message exceeded tcpMaxPendingBytes. */
  closedBuffer: number;
}

export interface TransportStats {
  /** Every datagram / framed TCP message received, before any check. */
  received: number;
  sent: number;
  /** Sends that failed (bad target, ICMP unreachable, TCP refused/reset/closed). */
  sendErrors: number;
  /** Dropped: unparseable (requests among them answered 400 where possible). */
  malformed: number;
  /** Dropped: larger than maxMessageBytes. */
  oversize: number;
  /** Dropped: a per-source rate limit (allowed sources' requests, any source's responses). */
  rateLimited: number;
  /** Requests from sources outside the allowlist, refused before any transaction (403 or dropped). */
  refusedForeign: number;
  /** Of refusedForeign: how many were answered 403 (the rest were dropped: drop mode or 403 budget spent). */
  foreignAnswered403: number;
  /** Requests whose top Via had an unusable sent-by port or rport (answered 400). */
  badVia: number;
  /** New calls (out-of-dialog INVITEs, and their retransmissions) refused while the main thread was behind (every transport). */
  shed: number;
  /** Of shed: by the transport they came on and why (shed.ts ShedReason). */
  shedBy: Record<TransportProtocol, Record<ShedReason, number>>;
  /** Gauge: the main thread's own lag (ms) as its heartbeat sees it (loop-lag.ts). */
  loopLagMs: number;
  /** Of shed: how many were answered 503 + Retry-After (the rest were dropped: 503 budget spent). */
  shedAnswered503: number;
  /** Gauge: age (ms) of the last batch of datagrams the main thread took from the ingress thread (0 when idle). */
  ingressLagMs: number;
  /** Gauge: datagrams handed to the main thread and not yet taken. */
  ingressBacklog: number;
  /** Gauge: UDP sockets on which the kernel now drops foreign requests (a foreign flood; flood-guard.ts). */
  kernelFilterSockets: number;
  /** Exceptions thrown by the layers above while handling a message (caught here; the message is lost). */
  internalErrors: number;
  tcp: TcpStats;
}

export function createTransportStats(): TransportStats {
  return {
    received: 0, sent: 0, sendErrors: 0, malformed: 0, oversize: 0, rateLimited: 0, refusedForeign: 0,
    foreignAnswered403: 0, badVia: 0, shed: 0, shedAnswered503: 0, loopLagMs: 0, ingressLagMs: 0,
    shedBy: { udp: { lag: 0, backlog: 0, retransmission: 0 }, tcp: { lag: 0, backlog: 0, retransmission: 0 } }, ingressBacklog: 0, kernelFilterSockets: 0, internalErrors: 0,
    tcp: { open: 0, accepted: 0, connected: 0, closedIdle: 0, closedCap: 0, closedForeign: 0, closedBuffer: 0 },
  };
}

/** A copy safe to hand out (the live object keeps counting). */
export function snapshotStats(s: TransportStats): TransportStats {
  return { ...s, tcp: { ...s.tcp }, shedBy: { udp: { ...s.shedBy.udp }, tcp: { ...s.shedBy.tcp } } };
}
