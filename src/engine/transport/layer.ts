/**
 * The transport layer: owns the UDP and TCP listeners, turns bytes into SIP messages (answering
 * unparseable requests with 400 where it can, dropping the rest with a log line), applies the
 * per-source limit and the RFC 3261 §18.2.1 / RFC 3581 Via fix-ups, and sends messages to targets.
 */
import net from 'node:net';
import type { SipMessage, Target, TransportProtocol } from '../../sip/message';
import { parseMessage } from '../../sip/parser';
import { serializeMessage } from '../../sip/serializer';
import { buildResponseFromPartial } from '../../sip/response-builder';
import { parseVia, formatVia } from '../../sip/headers';
import type { EngineLogger } from '../logger';
import { UdpTransport } from './udp';
import { TcpTransport } from './tcp';
import { SourceRateLimiter } from './rate-limit';

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

export interface TransportLimits {
  maxMessageBytes: number;
  perSourceRate: number;
  perSourceBurst: number;
  maxTcpConnections: number;
  tcpIdleTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  perSourceRate: 20_000,
  perSourceBurst: 40_000,
  maxTcpConnections: 10_000,
  tcpIdleTimeoutMs: 15 * 60_000,
});

export class TransportLayer {
  private readonly udp = new Map<string, { t: UdpTransport; local: LocalPoint }>();
  private readonly tcp = new Map<string, { t: TcpTransport; local: LocalPoint }>();
  private readonly limiter: SourceRateLimiter;
  private lastDropLog = 0;
  readonly stats = { received: 0, sent: 0, malformed: 0, rateLimited: 0, oversize: 0, sendErrors: 0 };

  constructor(
    private readonly specs: readonly ListenSpec[],
    private readonly limits: TransportLimits,
    private readonly logger: EngineLogger,
    private readonly onMessage: (m: InboundMessage) => void,
  ) {
    this.limiter = new SourceRateLimiter(limits.perSourceRate, limits.perSourceBurst);
  }

  async start(): Promise<void> {
    for (const spec of this.specs) {
      const adv = spec.advertise ?? spec.address;
      if (spec.protocol === 'udp') {
        const local: LocalPoint = { protocol: 'udp', address: adv, port: spec.port };
        const t = new UdpTransport(spec.address, spec.port, (d) => this.receive(d.data, { protocol: 'udp', address: d.address, port: d.port }, local),
          (err) => this.logger.error({ err: err.message }, 'udp socket error'));
        const a = await t.listen();
        local.port = a.port;
        this.udp.set(`${adv}:${a.port}`, { t, local });
      } else {
        const local: LocalPoint = { protocol: 'tcp', address: adv, port: spec.port };
        const t = new TcpTransport({
          address: spec.address, port: spec.port, maxConnections: this.limits.maxTcpConnections,
          idleTimeoutMs: this.limits.tcpIdleTimeoutMs, maxMessageBytes: this.limits.maxMessageBytes,
          onMessage: (m) => this.receive(m.data, { protocol: 'tcp', address: m.address, port: m.port }, local),
          onFramingError: (remote, error) => {
            this.stats.malformed++;
            this.logger.warn({ remote, error }, 'tcp framing error');
          },
        });
        const a = await t.listen();
        local.port = a.port;
        this.tcp.set(`${adv}:${a.port}`, { t, local });
      }
    }
  }

  async stop(): Promise<void> {
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

  /** Serialise and send. Failures (ICMP unreachable, TCP refused/reset) call onFail once. */
  send(msg: SipMessage, target: Target, onFail?: (err: Error) => void): number {
    const data = serializeMessage(msg);
    const fail = (err: Error): void => {
      this.stats.sendErrors++;
      this.logger.debug({ target, err: err.message }, 'send failed');
      onFail?.(err);
    };
    const entry = target.protocol === 'udp' ? this.udp.values().next().value : this.tcp.values().next().value;
    if (!entry) {
      fail(new Error(`no ${target.protocol} transport`));
      return data.length;
    }
    this.stats.sent++;
    entry.t.send(data, target.port, target.address, fail);
    return data.length;
  }

  private receive(data: Buffer, source: Target, local: LocalPoint): void {
    this.stats.received++;
    if (!this.limiter.allow(source.address, Date.now())) {
      this.stats.rateLimited++;
      this.logDrop('per-source rate limit exceeded', source);
      return;
    }
    if (data.length > this.limits.maxMessageBytes) {
      this.stats.oversize++;
      this.logDrop(`oversize message (${data.length} bytes) dropped`, source);
      return;
    }
    // Keep-alives (RFC 5626 CRLF) on UDP are not messages.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    const parsed = parseMessage(data);
    if (!parsed.ok) {
      this.stats.malformed++;
      if (parsed.request && parsed.request.method !== 'ACK' && parsed.request.headers.has('via')) {
        const res = buildResponseFromPartial(parsed.request, 400, `Bad Request (${parsed.error})`.slice(0, 120));
        this.send(res, responseTarget(res, source));
        this.logger.info({ source, error: parsed.error }, 'malformed request answered 400');
      } else {
        this.logDrop(`malformed message dropped: ${parsed.error}`, source);
      }
      return;
    }
    const message = parsed.message;
    if (message.kind === 'request') fixupVia(message.headers, source);
    this.onMessage({ message, source, local, bytes: data.length });
  }

  private logDrop(reason: string, source: Target): void {
    const now = Date.now();
    if (now - this.lastDropLog < 1000) return;
    this.lastDropLog = now;
    this.logger.warn({ source, stats: this.stats }, reason);
  }
}

/** RFC 3261 §18.2.1 received= and RFC 3581 rport= on the top Via of a request. */
function fixupVia(headers: SipMessage['headers'], source: Target): void {
  const top = headers.getAll('via')[0];
  if (!top) return;
  const via = parseVia(top);
  if (!via) return;
  let changed = false;
  if (via.host.replace(/^\[|\]$/g, '') !== source.address) {
    via.params.set('received', source.address);
    changed = true;
  }
  if (via.params.has('rport') && !via.params.get('rport')) {
    via.params.set('rport', String(source.port));
    if (!via.params.has('received')) via.params.set('received', source.address);
    changed = true;
  }
  if (changed) {
    headers.removeFirst('via');
    headers.prepend('Via', formatVia(via));
  }
}

/**
 * Where a response goes (RFC 3261 §18.2.2 with RFC 3581): over a stream, back on the connection the
 * request came in on; over UDP, to received/rport when present, else to the sent-by host and port.
 */
export function responseTarget(res: SipMessage, source: Target): Target {
  if (source.protocol !== 'udp') return source;
  const top = res.headers.getAll('via')[0];
  const via = top ? parseVia(top) : undefined;
  if (!via) return source;
  const rport = via.params.get('rport');
  if (rport) return { protocol: 'udp', address: via.params.get('received') ?? source.address, port: Number(rport) };
  const host = via.params.get('received') ?? via.host.replace(/^\[|\]$/g, '');
  return { protocol: 'udp', address: net.isIP(host) ? host : source.address, port: via.port ?? 5060 };
}
