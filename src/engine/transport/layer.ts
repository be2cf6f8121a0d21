/**
 * The transport layer: owns the UDP and TCP listeners and decides, cheapest check first, what a
 * received message may cost (see ingress order in `ingest`): admission by source address, per-source
 * rate, size, parse (400 where it can answer), Via sanity (400), then the RFC 3261 §18.2.1 / RFC 3581
 * Via fix-ups and hand-over to the transaction layer. It also sends, and never lets a send throw.
 */
import type { SipMessage, SipRequest, Target, TransportProtocol } from '../../sip/message';
import { parseMessage } from '../../sip/parser';
import { serializeMessage } from '../../sip/serializer';
import { buildResponse, buildResponseFromPartial } from '../../sip/response-builder';
import { generateTag } from '../../sip/headers';
import type { EngineLogger } from '../logger';
import { UdpTransport } from './udp';
import { TcpTransport } from './tcp';
import { SourceRateLimiter, TokenBucket } from './rate-limit';
import { SourceAdmission, type AdmissionOptions, type ForeignAction } from './admission';
import { createTransportStats, snapshotStats, type TransportStats } from './stats';
import { responseTarget, streamFallbackTarget } from './response-target';
import { checkTopVia, fixupVia } from './via';
import type { TransportLimits } from './limits';

export { DEFAULT_LIMITS, type TransportLimits } from './limits';
export { responseTarget } from './response-target';

export interface ListenSpec {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** Address advertised in Via/Contact when it differs from the bound one (e.g. 0.0.0.0). */
  advertise?: string;
}

export interface LocalPoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

export interface InboundMessage {
  message: SipMessage;
  source: Target;
  local: LocalPoint;
  bytes: number;
}

/** "SIP/" starts every response and no request (a method token cannot contain "/"). */
const isResponseBytes = (d: Buffer): boolean => d.length > 4 && d[0] === 0x53 && d[1] === 0x49 && d[2] === 0x50 && d[3] === 0x2f;

export class TransportLayer {
  private readonly udp = new Map<string, { t: UdpTransport; local: LocalPoint }>();
  private readonly tcp = new Map<string, { t: TcpTransport; local: LocalPoint }>();
  private readonly admission: SourceAdmission;
  private readonly requests: SourceRateLimiter;
  private readonly responses: SourceRateLimiter;
  private readonly foreign: SourceRateLimiter;
  private readonly foreignBudget: TokenBucket;
  private readonly lastDropLog = new Map<string, number>();
  private readonly live = createTransportStats();

  constructor(
    private readonly specs: readonly ListenSpec[],
    private readonly limits: TransportLimits,
    private readonly logger: EngineLogger,
    private readonly onMessage: (m: InboundMessage) => void,
    admission?: AdmissionOptions,
  ) {
    this.admission = new SourceAdmission(logger, admission);
    const n = limits.maxTrackedSources;
    this.requests = new SourceRateLimiter(limits.perSourceRate, limits.perSourceBurst, n, 'evict');
    this.responses = new SourceRateLimiter(limits.responseRate, limits.responseBurst, n, 'evict');
    this.foreign = new SourceRateLimiter(limits.foreignRate, limits.foreignBurst, n, 'deny');
    this.foreignBudget = new TokenBucket(limits.foreignRejectRate, limits.foreignRejectRate);
  }

  get stats(): TransportStats {
    return snapshotStats(this.live);
  }

  /** Replace the allowed source set (undefined: admit every source). Throws AllowlistError, keeping the old set. */
  setAllowlist(allow: readonly string[] | undefined): void {
    this.admission.set(allow);
  }

  setForeignAction(a: ForeignAction): void {
    this.admission.setForeignAction(a);
  }

  async start(): Promise<void> {
    for (const spec of this.specs) {
      const adv = spec.advertise ?? spec.address;
      const local: LocalPoint = { protocol: spec.protocol, address: adv, port: spec.port };
      if (spec.protocol === 'udp') {
        const t = new UdpTransport(spec.address, spec.port, (d) => this.receive(d.data, { protocol: 'udp', address: d.address, port: d.port }, local),
          (err) => this.logger.error({ err: err.message }, 'udp socket error'));
        local.port = (await t.listen()).port;
        this.udp.set(`${adv}:${local.port}`, { t, local });
      } else {
        const t = new TcpTransport({
          address: spec.address, port: spec.port, limits: this.limits, stats: this.live.tcp,
          sourceCap: (a) => this.tcpSourceCap(a),
          onMessage: (m) => this.receive(m.data, { protocol: 'tcp', address: m.address, port: m.port }, local),
          onFramingError: (remote, error, overflow) => {
            if (!overflow) this.live.malformed++;
            this.logDrop('tcp-framing', `tcp framing error: ${error}`, { remote });
          },
          onError: (err) => this.logger.error({ err: err.message }, 'tcp listener error'),
        });
        local.port = (await t.listen()).port;
        this.tcp.set(`${adv}:${local.port}`, { t, local });
      }
    }
  }

  async stop(): Promise<void> {
    this.admission.stop();
    for (const { t } of this.udp.values()) await t.close();
    for (const { t } of this.tcp.values()) await t.close();
  }

  /** The local point used to send with a protocol (first listener of that protocol). */
  localFor(protocol: TransportProtocol): LocalPoint | undefined {
    const m = protocol === 'udp' ? this.udp : this.tcp;
    return m.values().next().value?.local;
  }

  listeners(): LocalPoint[] {
    return [...this.udp.values(), ...this.tcp.values()].map((x) => x.local);
  }

  isReliable(target: Target): boolean {
    return target.protocol !== 'udp';
  }

  /**
   * Serialise and send; never throws. Every failure (bad target, ICMP unreachable, TCP refused, reset
   * or closed while a request is in flight) calls onFail once, asynchronously — never from inside
   * send(), so a transaction that sends from its constructor still hears about it.
   */
  send(msg: SipMessage, target: Target, onFail?: (err: Error) => void): number {
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      this.live.sendErrors++;
      queueMicrotask(() => {
        this.logger.debug({ target, err: err.message }, 'send failed');
        this.guard('send-failure handler', () => onFail?.(err));
      });
    };
    let data: Buffer;
    try {
      data = serializeMessage(msg);
    } catch (err) {
      fail(err as Error);
      return 0;
    }
    if (target.protocol === 'udp') {
      const entry = this.udp.values().next().value;
      if (!entry) fail(new Error('no udp transport'));
      else entry.t.send(data, target.port, target.address, fail);
    } else {
      const entry = this.tcp.values().next().value;
      if (!entry) fail(new Error(`no ${target.protocol} transport`));
      else {
        // RFC 3261 §18.2.2: the connection a request came in on is gone → a new one to the sent-by port.
        const to = msg.kind === 'response' && !entry.t.hasConnection(target.address, target.port) ? streamFallbackTarget(msg, target) : target;
        entry.t.send(data, to.port, to.address, fail, msg.kind === 'request' && msg.method !== 'ACK');
      }
    }
    this.live.sent++;
    return data.length;
  }

  private tcpSourceCap(address: string): number {
    if (this.admission.isAllowed(address)) return this.limits.tcpMaxConnectionsPerSource;
    return this.admission.foreign === 'drop' ? 0 : this.limits.tcpMaxConnectionsPerForeignSource;
  }

  /** No exception from the layers above escapes into a socket handler. */
  private receive(data: Buffer, source: Target, local: LocalPoint): void {
    this.live.received++;
    this.guard('inbound message', () => this.ingest(data, source, local));
  }

  private ingest(data: Buffer, source: Target, local: LocalPoint): void {
    const now = Date.now();
    const response = isResponseBytes(data);
    // 1. Admission: a request from outside the allowlist costs one cached lookup. Responses are never
    //    refused here: they only count if they match one of our client transactions.
    if (!response && !this.admission.isAllowed(source.address)) return this.refuseForeign(data, source, now);
    // 2. Per-source rate.
    if (!(response ? this.responses : this.requests).allow(source.address, now)) {
      this.live.rateLimited++;
      return this.logDrop('rate-limit', 'per-source rate limit exceeded', { source });
    }
    // 3. Size.
    if (data.length > this.limits.maxMessageBytes) {
      this.live.oversize++;
      return this.logDrop('oversize', `oversize message (${data.length} bytes) dropped`, { source });
    }
    // Keep-alives (RFC 5626 CRLF) on UDP are not messages.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    // 4. Parse.
    const parsed = parseMessage(data);
    if (!parsed.ok) {
      this.live.malformed++;
      if (parsed.request && parsed.request.method !== 'ACK' && parsed.request.headers.has('via')) {
        const res = buildResponseFromPartial(parsed.request, 400, `Bad Request (${parsed.error})`.slice(0, 120));
        this.send(res, responseTarget(res, source));
        this.logDrop('malformed-400', 'malformed request answered 400', { source, error: parsed.error });
      } else {
        this.logDrop('malformed', `malformed message dropped: ${parsed.error}`, { source });
      }
      return;
    }
    const message = parsed.message;
    if (message.kind === 'request') {
      // 5. Via: a sent-by port or rport no response could be sent to is refused (to the real source).
      const via = checkTopVia(message);
      if (!via.ok) {
        this.live.badVia++;
        if (message.method !== 'ACK') this.send(buildResponse(message, 400, `Bad Request (${via.reason})`), source);
        return this.logDrop('bad-via', `request refused: ${via.reason}`, { source });
      }
      fixupVia(message.headers, source);
    }
    this.onMessage({ message, source, local, bytes: data.length });
  }

  /** A request from a source outside the allowlist: dropped, or a stateless 403 within a small budget. */
  private refuseForeign(data: Buffer, source: Target, now: number): void {
    this.live.refusedForeign++;
    if (this.admission.foreign === 'drop') return this.logDrop('foreign', 'request from a source outside the allowlist dropped', { source });
    if (data.length > this.limits.maxMessageBytes || !this.foreign.allow(source.address, now) || !this.foreignBudget.take(now)) {
      return this.logDrop('foreign', 'request from a source outside the allowlist dropped (403 budget spent)', { source });
    }
    const parsed = parseMessage(data);
    if (!parsed.ok || parsed.message.kind !== 'request' || parsed.message.method === 'ACK') return;
    const req: SipRequest = parsed.message;
    this.live.foreignAnswered403++;
    // Stateless (RFC 3261 §8.2.7 style): no transaction; a retransmission simply draws another 403.
    this.send(buildResponse(req, 403, 'Forbidden', { toTag: generateTag() }), responseTarget(req, source));
    this.logDrop('foreign', 'request from a source outside the allowlist answered 403', { source, method: req.method });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.live.internalErrors++;
      this.logger.error({ err: (err as Error).message, stack: (err as Error).stack }, `internal error in ${what}; message dropped`);
    }
  }

  /** At most one log line per reason per second (floods must not become log floods). */
  private logDrop(reason: string, msg: string, fields: object): void {
    const now = Date.now();
    if (now - (this.lastDropLog.get(reason) ?? 0) < 1000) return;
    this.lastDropLog.set(reason, now);
    this.logger.warn({ ...fields, reason, stats: this.live }, msg);
  }
}
