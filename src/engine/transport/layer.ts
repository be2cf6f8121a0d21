/**
 * The transport layer: owns the UDP and TCP listeners and decides, cheapest check first, what a
 * received message may cost: the ingress gate (gate.ts: admission by source address, per-source rate,
 * size — on the UDP ingress thread for UDP), overload shedding of new calls (shed.ts on the ingress
 * thread, loop-shed.ts for what the main thread receives itself), then parse (400 where it can answer), Via sanity (400),
 * the RFC 3261 §18.2.1 / RFC 3581 Via fix-ups and hand-over to the transaction layer. It also sends,
 * and never lets a send throw.
 */
import type { SipMessage, SipRequest, Target, TransportProtocol } from '../../sip/message';
import { parseMessage } from '../../sip/parser';
import { serializeMessage } from '../../sip/serializer';
import { buildResponse, buildResponseFromPartial } from '../../sip/response-builder';
import { generateTag } from '../../sip/headers';
import type { EngineLogger } from '../logger';
import { UdpTransport } from './udp';
import { TcpTransport } from './tcp';
import { UdpThreadTransport } from './udp-thread';
import { GATE, GATE_SLOTS, IngressGate, type DropReason, type GateVerdict } from './gate';
import { SourceAdmission, type AdmissionOptions, type ForeignAction } from './admission';
import { createTransportStats, snapshotStats, type TransportStats } from './stats';
import { responseTarget, streamFallbackTarget } from './response-target';
import { checkTopVia, fixupVia } from './via';
import type { TransportLimits } from './limits';
import { LoopLag } from './loop-lag';
import { LoopShedder } from './loop-shed';
import { PRESSURE, SHED_REASONS, shedByReason, type ShedReason } from './shed';

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

/**
 * Where UDP is received: `thread` (default) — a worker thread owns the socket and runs the ingress
 * gate, so a flood never reaches the event loop; `inline` — the socket on the main thread.
 */
export type UdpIngress = 'thread' | 'inline';

interface UdpEndpoint {
  send(data: Buffer, port: number, address: string, onFail: (err: Error) => void): void;
  close(): Promise<void>;
}

export class TransportLayer {
  private readonly udp = new Map<string, { t: UdpEndpoint; local: LocalPoint }>();
  private readonly tcp = new Map<string, { t: TcpTransport; local: LocalPoint }>();
  private readonly threads: UdpThreadTransport[] = [];
  private readonly admission: SourceAdmission;
  /** The gate for what arrives on the main thread (TCP; UDP in inline mode). */
  private readonly gate: IngressGate;
  private readonly lastDropLog = new Map<string, number>();
  private readonly live = createTransportStats();
  /** The main thread's own lag, and the shedding of new calls it receives itself (TCP, inline UDP). */
  private readonly loopLag = new LoopLag();
  private readonly loopShed: Record<TransportProtocol, LoopShedder>;
  /** How far behind this engine counts itself: its own loop, or the app's when that is further behind. */
  private readonly behind = { lagMs: (): number => Math.max(this.loopLag.lagMs(), this.appLag()) };

  constructor(
    private readonly specs: readonly ListenSpec[],
    private readonly limits: TransportLimits,
    private readonly logger: EngineLogger,
    private readonly onMessage: (m: InboundMessage) => void,
    admission?: AdmissionOptions,
    private readonly udpIngress: UdpIngress = 'thread',
    /** Another thread's lag that also counts as this engine being behind: the app's, when the engine runs on a thread of its own. */
    private readonly appLag: () => number = () => 0,
  ) {
    this.admission = new SourceAdmission(logger, admission);
    this.gate = new IngressGate(limits, this.admission);
    this.loopShed = { udp: new LoopShedder(limits, this.behind, 'udp'), tcp: new LoopShedder(limits, this.behind, 'tcp') };
  }

  get stats(): TransportStats {
    const s = snapshotStats(this.live);
    const sum = new Float64Array(GATE_SLOTS);
    for (const c of [this.gate.counters, ...this.threads.map((t) => t.counters)]) for (let i = 0; i < GATE_SLOTS; i++) sum[i]! += c[i]!;
    s.received = sum[GATE.received]!;
    s.rateLimited = sum[GATE.rateLimited]!;
    s.refusedForeign = sum[GATE.refusedForeign]!;
    s.oversize = sum[GATE.oversize]!;
    s.loopLagMs = Math.round(this.behind.lagMs());
    const add = (protocol: TransportProtocol, by: Record<ShedReason, number>): void => {
      for (const reason of SHED_REASONS) s.shedBy[protocol][reason] += by[reason];
    };
    for (const ls of Object.values(this.loopShed)) {
      s.shed += ls.shed;
      s.shedAnswered503 += ls.answered503;
      add(ls.protocol, ls.byReason());
    }
    for (const t of this.threads) {
      const p = t.pressure();
      s.shed += p.shed;
      s.shedAnswered503 += p.shedAnswered503;
      add('udp', shedByReason(t.counters));
      s.ingressLagMs = Math.max(s.ingressLagMs, p.lagMs);
      s.ingressBacklog += p.backlog;
      s.kernelFilterSockets += t.counters[PRESSURE.kernelFilter]!;
    }
    return s;
  }

  /** Replace the allowed source set (undefined: admit every source). Throws AllowlistError, keeping the old set. */
  setAllowlist(allow: readonly string[] | undefined): void {
    this.admission.set(allow);
    for (const t of this.threads) t.setAdmission(this.admission.allowList, this.admission.foreign);
  }

  setForeignAction(a: ForeignAction): void {
    this.admission.setForeignAction(a);
    for (const t of this.threads) t.setAdmission(this.admission.allowList, this.admission.foreign);
  }

  async start(): Promise<void> {
    this.loopLag.start();
    for (const spec of this.specs) {
      const adv = spec.advertise ?? spec.address;
      const local: LocalPoint = { protocol: spec.protocol, address: adv, port: spec.port };
      if (spec.protocol === 'udp') {
        let t: UdpEndpoint & { listen(): Promise<{ port: number }> };
        if (this.udpIngress === 'thread') {
          const current = this.admission.allowList;
          const thread = new UdpThreadTransport(spec.address, spec.port, this.limits, current ? { allow: current, foreign: this.admission.foreign } : undefined,
            (d) => this.receive(d.data, { protocol: 'udp', address: d.address, port: d.port }, local, d.verdict),
            (reason, address, port) => this.logGateDrop(reason, { protocol: 'udp', address, port }), this.logger, this.appLag);
          this.threads.push(thread);
          t = thread;
        } else {
          t = new UdpTransport(spec.address, spec.port, (d) => this.receiveUnchecked(d.data, { protocol: 'udp', address: d.address, port: d.port }, local),
            (err) => this.logger.error({ err: err.message }, 'udp socket error'));
        }
        local.port = (await t.listen()).port;
        this.udp.set(`${adv}:${local.port}`, { t, local });
      } else {
        const t = new TcpTransport({
          address: spec.address, port: spec.port, limits: this.limits, stats: this.live.tcp,
          sourceCap: (a) => this.tcpSourceCap(a),
          onMessage: (m) => this.receiveUnchecked(m.data, { protocol: 'tcp', address: m.address, port: m.port }, local),
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
    this.loopLag.stop();
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
      data = serializeMessage(msg, true); // the wire echo and retransmissions reuse these bytes
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

  /** Re-send bytes a message already went out as, over UDP (a shrunk transaction's final or ACK); never throws. */
  sendBytes(data: Buffer, target: Target, onFail?: (err: Error) => void): void {
    const entry = target.protocol === 'udp' ? this.udp.values().next().value : undefined;
    if (!entry) {
      this.live.sendErrors++;
      queueMicrotask(() => this.guard('send-failure handler', () => onFail?.(new Error(`no ${target.protocol} transport for kept bytes`))));
      return;
    }
    entry.t.send(data, target.port, target.address, (err: Error) => {
      this.live.sendErrors++;
      queueMicrotask(() => this.guard('send-failure handler', () => onFail?.(err)));
    });
    this.live.sent++;
  }

  private tcpSourceCap(address: string): number {
    if (this.admission.isAllowed(address)) return this.limits.tcpMaxConnectionsPerSource;
    return this.admission.foreign === 'drop' ? 0 : this.limits.tcpMaxConnectionsPerForeignSource;
  }

  /** What arrived on the main thread: through the gate first, then shed while the main thread is behind. */
  private receiveUnchecked(data: Buffer, source: Target, local: LocalPoint): void {
    const now = Date.now();
    const verdict = this.gate.check(data, source.address, now);
    if (verdict === 'pass' && this.shedOnLoop(data, source, now)) return;
    this.receive(data, source, local, verdict);
  }

  /** True when the message was a new call shed (answered 503 within the budget, else dropped). */
  private shedOnLoop(data: Buffer, source: Target, now: number): boolean {
    let shed = false;
    this.guard('overload shedding', () => {
      const v = this.loopShed[source.protocol].check(data, source, now);
      if (v.pass) return;
      shed = true;
      this.logGateDrop('overload', source);
      if (v.answer) this.send(v.answer.res, v.answer.target);
    });
    return shed;
  }

  /** No exception from the layers above escapes into a socket handler. */
  private receive(data: Buffer, source: Target, local: LocalPoint, verdict: GateVerdict): void {
    if (verdict === 'drop') return this.logGateDrop(this.gate.lastDrop, source);
    this.guard('inbound message', () => (verdict === 'foreign' ? this.rejectForeign(data, source) : this.ingest(data, source, local)));
  }

  /** After the gate: parse, Via checks and fix-ups, hand-over. */
  private ingest(data: Buffer, source: Target, local: LocalPoint): void {
    // Keep-alives (RFC 5626 CRLF) on UDP are not messages.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    const parsed = parseMessage(data);
    if (!parsed.ok) {
      this.live.malformed++;
      if (parsed.request && parsed.request.method !== 'ACK' && parsed.request.headers.has('via')) {
        const status = parsed.status ?? 400; // 505 for a SIP version other than 2.0
        const res = buildResponseFromPartial(parsed.request, status, `${status === 400 ? 'Bad Request' : 'Version Not Supported'} (${parsed.error})`.slice(0, 120));
        this.send(res, responseTarget(res, source));
        this.logDrop('malformed-400', 'malformed request answered 400', { source, error: parsed.error });
      } else {
        this.logDrop('malformed', `malformed message dropped: ${parsed.error}`, { source });
      }
      return;
    }
    const message = parsed.message;
    if (message.kind === 'request') {
      // A sent-by port or rport no response could be sent to is refused (to the real source).
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

  /** A request from outside the allowlist that the gate let through for a stateless 403 (within its budget). */
  private rejectForeign(data: Buffer, source: Target): void {
    const parsed = parseMessage(data);
    if (!parsed.ok || parsed.message.kind !== 'request' || parsed.message.method === 'ACK') return;
    const req: SipRequest = parsed.message;
    this.live.foreignAnswered403++;
    // Stateless (RFC 3261 §8.2.7 style): no transaction; a retransmission simply draws another 403.
    this.send(buildResponse(req, 403, 'Forbidden', { toTag: generateTag() }), responseTarget(req, source));
    this.logDrop('foreign', 'request from a source outside the allowlist answered 403', { source, method: req.method });
  }

  private logGateDrop(reason: DropReason, source: Target): void {
    const text = reason === 'foreign' ? 'request from a source outside the allowlist dropped'
      : reason === 'rate-limit' ? 'per-source rate limit exceeded'
      : reason === 'overload' ? 'main thread behind: new INVITE shed (503 Retry-After, or dropped beyond the 503 budget)' : 'oversize message dropped';
    this.logDrop(reason, text, { source });
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
