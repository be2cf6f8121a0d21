/**
 * One simulated carrier trunk: its sockets, behaviour, counters and call state. Implements the
 * context the handlers work against; stop() cancels every timer and closes every socket.
 */
import type { Logger } from 'pino';
import type { SipMessage } from '../sip/message';
import { serializeMessage } from '../sip/serializer';
import { applyPatch, DEFAULT_BEHAVIOUR, rtpSettings, type Behaviour, type BehaviourPatch } from './behaviour';
import { sendBye } from './bye-client';
import { CallTable, type Call } from './call';
import type { ClientTxnHandler, InboundRequest, TxnEntry } from './context';
import { framingError, handleInbound, type DispatchContext } from './dispatch';
import { ExpiringMap } from './expiring-map';
import { destroyCall } from './invite-server';
import type { MediaEndpoint, MediaFactory } from './media';
import { seededRandom, type Random } from './prng';
import { emptyCounters, type CarrierCounters, type CarrierStats } from './stats';
import { TimerSet, type SimTimings } from './timers';
import { CarrierTransport, type ListenTransport, type SendTarget } from './transport';

export interface CarrierSpec {
  id: string;
  host: string;
  /** 0 = an ephemeral port (read it back from info().port). */
  port: number;
  transport: ListenTransport;
  /** Initial behaviour (validated by the caller). */
  behaviour?: BehaviourPatch;
}

export interface CarrierDeps {
  logger: Logger;
  timings: SimTimings;
  media: MediaFactory;
  seed: number;
  maxCalls: number;
}

export interface CarrierInfo {
  id: string;
  host: string;
  port: number;
  transports: readonly ('udp' | 'tcp')[];
  behaviour: Behaviour;
  stats: CarrierStats;
}

export class SimCarrier implements DispatchContext {
  readonly id: string;
  readonly log: Logger;
  readonly timings: SimTimings;
  readonly timers = new TimerSet();
  readonly counters: CarrierCounters = emptyCounters();
  readonly calls = new CallTable();
  readonly ended: ExpiringMap<true>;
  readonly txns: ExpiringMap<TxnEntry>;
  readonly clientTxns = new Map<string, ClientTxnHandler>();
  readonly media: MediaFactory;
  readonly maxCalls: number;
  readonly random: Random;
  private current: Behaviour;
  private readonly transport: CarrierTransport;
  /** Separate from `random` so turning RTP on does not change the SIP drop pattern of a seed. */
  private readonly rtpRandom: Random;
  private rtpPorts = 0;
  private portsIdle: (() => void)[] = [];
  private readonly host: string;

  constructor(spec: CarrierSpec, deps: CarrierDeps) {
    this.id = spec.id;
    this.host = spec.host;
    this.log = deps.logger.child({ carrier: spec.id });
    this.timings = deps.timings;
    this.media = deps.media;
    this.maxCalls = deps.maxCalls;
    this.random = seededRandom(deps.seed);
    this.rtpRandom = seededRandom((deps.seed ^ 0x5bd1e995) >>> 0);
    this.current = applyPatch(DEFAULT_BEHAVIOUR, spec.behaviour ?? {});
    this.ended = new ExpiringMap(deps.timings.tMax, 100_000);
    this.txns = new ExpiringMap(deps.timings.tMax, 100_000);
    this.transport = new CarrierTransport(
      { host: spec.host, port: spec.port, transport: spec.transport, logger: this.log },
      { onMessage: (m) => this.safely(() => handleInbound(this, m)), onFramingError: (s, e) => framingError(this, s, e) },
    );
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.log.info({ host: this.host, port: this.transport.port, transports: this.transport.protocols, behaviour: this.current }, 'carrier listening');
  }

  behaviour(): Behaviour {
    return this.current;
  }

  /** Apply an already validated patch; calls in progress keep the behaviour they started with. */
  set(patch: BehaviourPatch): Behaviour {
    this.current = applyPatch(this.current, patch);
    this.log.info({ patch, behaviour: this.current }, 'behaviour changed');
    return this.current;
  }

  stats(): CarrierStats {
    return { ...this.counters, rejected: { ...this.counters.rejected }, activeCalls: this.calls.activeCount(), rtpPortsInUse: this.rtpPorts };
  }

  resetStats(): void {
    Object.assign(this.counters, emptyCounters());
  }

  info(): CarrierInfo {
    return { id: this.id, host: this.host, port: this.transport.port, transports: this.transport.protocols, behaviour: this.current, stats: this.stats() };
  }

  get port(): number {
    return this.transport.port;
  }

  contact(protocol: 'udp' | 'tcp'): string {
    return `<sip:${this.id}@${this.hostForUri()}:${this.transport.port};transport=${protocol}>`;
  }

  via(protocol: 'udp' | 'tcp', branch: string): string {
    return `SIP/2.0/${protocol.toUpperCase()} ${this.hostForUri()}:${this.transport.port};branch=${branch};rport`;
  }

  /** The call's media endpoint; RTP keys captured now (mode) or read per packet (impairments). */
  openMedia(callId: string, behaviour: Behaviour): MediaEndpoint {
    return this.media.open(callId, this.id, {
      mode: rtpSettings(behaviour).mode,
      impairments: () => {
        const r = rtpSettings(this.current);
        return { dropPercent: r.dropPercent, jitterMs: r.jitterMs };
      },
      random: this.rtpRandom,
      counters: this.counters,
      portsChanged: (delta) => {
        this.rtpPorts += delta;
        if (this.rtpPorts <= 0) for (const resolve of this.portsIdle.splice(0)) resolve();
      },
      log: this.log,
    });
  }

  sendBytes(target: SendTarget, bytes: Buffer): void {
    this.transport.send(target, bytes);
  }

  sendBye(call: Call): void {
    sendBye(this, call);
  }

  reply(inb: InboundRequest, msg: SipMessage): Buffer {
    const bytes = serializeMessage(msg);
    if (inb.txn) inb.txn.response = bytes;
    this.sendBytes(inb.target, bytes);
    return bytes;
  }

  async stop(): Promise<void> {
    for (const call of [...this.calls.all()]) destroyCall(this, call);
    this.timers.clearAll();
    this.clientTxns.clear();
    this.txns.clear();
    this.ended.clear();
    await this.transport.stop();
    await this.rtpPortsReleased(2000);
  }

  /** Closing a UDP socket completes on a later tick: wait (bounded) until every RTP port is released. */
  private rtpPortsReleased(ms: number): Promise<void> {
    if (this.rtpPorts <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ rtpPortsInUse: this.rtpPorts }, 'RTP ports still bound after stop()');
        resolve();
      }, ms);
      this.portsIdle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private hostForUri(): string {
    const h = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    return h.includes(':') ? `[${h}]` : h;
  }

  /** Whatever a peer sends, the carrier keeps serving: a handler bug is logged and counted, never thrown. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.malformed++;
      this.log.error({ err }, 'handler failed on an inbound message');
    }
  }
}
