/**
 * What the transport layer accepts, and how much. The defaults are sized to what one trunkwise
 * process can really carry (bench/results/e2e.md: about 1,000 calls/s, i.e. about 3,000 requests/s
 * from the IVR: INVITE, ACK, BYE), not to what a socket can deliver.
 */
export interface TransportLimits {
  /** Largest SIP message accepted on any transport (UDP datagram or framed TCP message). */
  maxMessageBytes: number;
  /** Requests per second from one allowed source address (token bucket refill). */
  perSourceRate: number;
  /** Requests one allowed source may send in a burst. */
  perSourceBurst: number;
  /** Responses per second from one source address (any source: responses are matched, not admitted). */
  responseRate: number;
  responseBurst: number;
  /** Requests per second from one foreign source that still get a 403 (the rest are dropped). */
  foreignRate: number;
  foreignBurst: number;
  /** 403s per second to all foreign sources together. */
  foreignRejectRate: number;
  /**
   * Foreign requests per second on one UDP socket at which the kernel takes over refusing them
   * (flood-guard.ts: a BPF socket filter built from the allowlist); below half of it for
   * foreignFloodHoldMs, the filter is removed again.
   */
  foreignFloodRate: number;
  /** Under that filter, 1 foreign request in this many (a power of 2) still reaches the gate: counted, maybe answered 403. */
  foreignFloodSample: number;
  foreignFloodHoldMs: number;
  /** Entries per rate-limit table (one per source address); bounds their memory. */
  maxTrackedSources: number;
  /** All TCP connections, inbound and outbound. */
  maxTcpConnections: number;
  /** Inbound TCP connections from one allowed source address. */
  tcpMaxConnectionsPerSource: number;
  /** Inbound TCP connections from one foreign source address (reject mode; drop mode accepts none). */
  tcpMaxConnectionsPerForeignSource: number;
  /** A TCP connection with no complete SIP message in either direction for this long is closed. */
  tcpIdleTimeoutMs: number;
  /** Bytes of an incomplete message buffered per TCP connection before it is closed. */
  tcpMaxPendingBytes: number;
  /**
   * Overload shedding in the UDP ingress thread (shed.ts): when the oldest datagram handed to the main
   * thread and not yet taken is older than this, new calls (out-of-dialog INVITEs) are refused there.
   */
  ingressMaxLagMs: number;
  /** The same, by count: datagrams handed to the main thread and not yet taken. */
  ingressMaxBacklog: number;
  /** 503s per second for shed INVITEs (all sources together); beyond it they are dropped. */
  shedRejectRate: number;
  /** Retry-After (seconds) in those 503s. */
  shedRetryAfterS: number;
}

export const DEFAULT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  // ~1.6× the measured capacity in requests: a single IVR at full load is never limited, a runaway
  // or hostile allowed peer cannot take more than the edge can serve.
  perSourceRate: 5_000,
  perSourceBurst: 10_000,
  // Responses only count when they match one of our own transactions, so their volume follows our
  // requests; the limit only bounds the parsing a response flood can cost. (On loopback benchmarks
  // all carriers share 127.0.0.1 and ~4 responses per call arrive from it.)
  responseRate: 20_000,
  responseBurst: 40_000,
  foreignRate: 10,
  foreignBurst: 20,
  foreignRejectRate: 200,
  // Five times the 403 budget: above it most foreign requests are dropped unanswered anyway, and the
  // only question left is whether they are dropped before or after they fill the socket's buffer.
  foreignFloodRate: 1_000,
  // Each sampled datagram wakes the ingress thread: at 1 in 64 a 500,000/s flood still woke it ~8,000
  // times a second and cost ~6 % of a core (bench/results/flood.md, 4 Dec). 1 in 1,024 keeps ~500 a
  // second to estimate the rate from — plenty to tell a flood from its end over the 10 s hold.
  foreignFloodSample: 1_024,
  foreignFloodHoldMs: 10_000,
  maxTrackedSources: 16_384,
  maxTcpConnections: 4_096,
  tcpMaxConnectionsPerSource: 1_024,
  tcpMaxConnectionsPerForeignSource: 4,
  tcpIdleTimeoutMs: 60_000,
  tcpMaxPendingBytes: 64 * 1024,
  // Without a bound every call, old and new, waits behind the queue (800 calls/s offered to a
  // 400 calls/s edge: setup p99 12–20 s, thousands of dialogs still open 45 s later). Not less than
  // 2 s: a transient stall (a long GC, a reload, a burst) must not turn alarm calls away — at 500 ms a
  // 1.5 s stall of the edge under 40 calls/s answered 60 of 200 calls 503 (call-overload), where
  // waiting costs those calls 1.5 s of setup; at 150 ms the bench's 600 calls/s step lost 689–1,884
  // calls to 503s. Shedding is for load the edge cannot catch up with, where the queue keeps aging.
  ingressMaxLagMs: 2_000,
  ingressMaxBacklog: 4_096,
  shedRejectRate: 2_000,
  shedRetryAfterS: 1,
});

/** Why a limit is not usable, or undefined. Limits come from code (EngineOptions), checked at start. */
export function invalidLimit(l: TransportLimits): string | undefined {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return `limits.${k} must be a positive number (got ${String(v)})`;
  }
  return undefined;
}
