/**
 * The embedded SIP engine: transports + transactions + dialogs + the drachtio wire-protocol server.
 * An unchanged drachtio-srf application connects to it exactly as to drachtio-server.
 */
import type { Socket } from 'node:net';
import type { TimerConfig } from '../transaction/types';
import { DEFAULT_TIMERS } from '../transaction/types';
import { realClock } from '../transaction/clock';
import { DEFAULT_LIMITS, TransportLayer, type ListenSpec, type LocalPoint, type TransportLimits, type UdpIngress } from '../transport/layer';
import { invalidLimit } from '../transport/limits';
import type { AdmissionOptions, ForeignAction } from '../transport/admission';
import type { TransportStats } from '../transport/stats';
import { WireServer, type WireClient } from '../wire/server';
import type { WireSocket } from '../wire/local-link';
import { DialogStore } from '../dialog/dialog';
import { silentLogger, type EngineLogger } from '../logger';
import { CdrEmitter } from './cdr';
import { hostport, type CoreContext, type EngineBehaviour } from './context';
import type { ServerSide } from './server-side';
import type { ClientSide } from './client-side';
import { EngineCore } from './engine-core';
import type { TransactionSummary } from './txn-summary';

/** Reported to applications in the authenticate answer; srf parses the leading vX.Y.Z. */
export const ENGINE_VERSION = 'v0.9.4-trunkwise';

export interface EngineOptions {
  sip: ListenSpec[];
  wire: { host: string; port: number; secret: string };
  limits?: Partial<TransportLimits>;
  /**
   * Sources allowed to send requests (CIDRs, addresses, host names) and what others get. Absent:
   * every source is admitted, as drachtio-server does. Replace the list with setAllowlist().
   */
  admission?: AdmissionOptions;
  /** UDP received on a worker thread that drops floods off the event loop (default), or inline. */
  udpIngress?: UdpIngress;
  timers?: Partial<TimerConfig>;
  behaviour?: Partial<EngineBehaviour>;
  logger?: EngineLogger;
  /**
   * How far behind another thread is (ms) that this engine should count as its own lag when it sheds
   * new calls: the app's, when the engine runs on a thread of its own (thread/engine-thread.ts).
   */
  appLag?: () => number;
}

export interface EngineAddresses {
  wire: { address: string; port: number };
  sip: LocalPoint[];
}

export interface EngineStats {
  dialogs: number;
  serverTransactions: number;
  clientTransactions: number;
  applications: number;
  transport: TransportStats;
  /** Of clientTransactions, the OPTIONS (an app's carrier probes: always a few in flight or in timer K). */
  clientOptionsTransactions: number;
  /** ACKs apps asked for and the engine refused, as drachtio-server does (the stack ACKs non-2xx finals itself). */
  refusedAppAcks: number;
  /** Up to 10 of each side open longer than 64·T1 (leak diagnostics; empty when healthy). */
  staleTransactions: TransactionSummary[];
  /** Up to 10 of the dialogs held (leak diagnostics: which calls are still up). */
  dialogSample: ReturnType<SipEngine['dialogSummaries']>;
}

export class SipEngine {
  private readonly ctx: CoreContext;
  private readonly server: ServerSide;
  private readonly client: ClientSide;
  private readonly wire: WireServer;
  private readonly transport: TransportLayer;

  constructor(opts: EngineOptions) {
    const logger = opts.logger ?? silentLogger;
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const bad = invalidLimit(limits);
    if (bad) throw new Error(`engine options: ${bad}`);
    this.transport = new TransportLayer(opts.sip, limits, logger, (m) => {
      if (m.message.kind === 'request') this.server.onRequest(m);
      else this.client.onResponse(m);
    }, opts.admission, opts.udpIngress ?? 'thread', opts.appLag);
    const hostports = (): string => this.transport.listeners().map((l) => `${l.protocol}/${hostport(l)}`).join(',');
    this.wire = new WireServer({
      host: opts.wire.host, port: opts.wire.port, secret: opts.wire.secret, version: ENGINE_VERSION, logger,
      // No NAT/external addresses here: the advertised and local host:ports are the same.
      hostports, localHostports: hostports,
    }, {
      onSip: (c: WireClient, msgId, txnId, dialogId, routeUri, sip) => {
        if (sip.startsWith('SIP/')) this.server.respondFromApp(c, msgId, txnId, sip);
        else this.client.requestFromApp(c, msgId, txnId, dialogId, routeUri, sip);
      },
      onProxy: (c, msgId, txnId) => this.server.refuseProxy(c, msgId, txnId),
      onClientGone: (c) => {
        this.server.onClientGone(c);
        if (this.ctx.behaviour.endCallsOfGoneApp) this.client.endCallsOf(c);
      },
    });
    this.ctx = {
      transport: this.transport, wire: this.wire, dialogs: new DialogStore(), clock: realClock,
      timers: { ...DEFAULT_TIMERS, ...opts.timers }, logger,
      behaviour: { userAgentOptionsAutoRespond: undefined, spammers: undefined, userAgent: undefined, cdrs: false, ...opts.behaviour },
      cdr: new CdrEmitter(this.wire, () => this.ctx.behaviour.cdrs),
    };
    ({ client: this.client, server: this.server } = new EngineCore(this.ctx));
  }

  async start(): Promise<EngineAddresses> {
    await this.transport.start();
    const wire = await this.wire.listen();
    return { wire, sip: this.transport.listeners() };
  }

  /**
   * For an application in this process: one end of an in-process wire link carrying the drachtio
   * protocol (pass it to connectSrf as `local`), instead of a loopback TCP connection.
   */
  connectLocal(): Socket {
    return this.wire.connectLocal();
  }

  /** An application connection carried by something other than TCP or connectLocal() (thread/port-link.ts). */
  acceptLink(socket: WireSocket): void {
    this.wire.acceptLink(socket);
  }

  async stop(): Promise<void> {
    await this.wire.close();
    await this.transport.stop();
  }

  /**
   * Replace the sources allowed to send requests (e.g. on configuration reload); undefined admits
   * every source. Throws AllowlistError (code E_ENGINE_ALLOWLIST_INVALID) and keeps the old list when
   * an entry is not a CIDR, an address or a host name.
   */
  setAllowlist(allow: readonly string[] | undefined): void {
    this.transport.setAllowlist(allow);
  }

  /** What a request from outside the allowlist gets: a stateless 403 (rate-limited) or nothing. */
  setForeignAction(action: ForeignAction): void {
    this.transport.setForeignAction(action);
  }

  /** The dialogs held now (for the admin API and leak diagnostics). */
  dialogSummaries(limit = Infinity): Array<{ id: string; role: string; state: string; protocol: string; remoteTarget: string }> {
    const out: Array<{ id: string; role: string; state: string; protocol: string; remoteTarget: string }> = [];
    for (const d of this.ctx.dialogs.all()) {
      if (out.length >= limit) break;
      out.push({ id: d.id, role: d.role, state: d.state, protocol: d.protocol, remoteTarget: d.remoteTarget });
    }
    return out;
  }

  /**
   * What the app's 1 s metrics tick needs, without stats()'s walks over every transaction (tens of
   * thousands in their wait windows under load: a scan a second is a stall a second).
   */
  gauges(): { dialogs: number; shedBy: TransportStats['shedBy']; kernelFilterSockets: number } {
    const t = this.transport.stats;
    return { dialogs: this.ctx.dialogs.size, shedBy: t.shedBy, kernelFilterSockets: t.kernelFilterSockets };
  }

  stats(): EngineStats {
    return {
      dialogs: this.ctx.dialogs.size,
      serverTransactions: this.server.pendingCount,
      clientTransactions: this.client.pendingCount,
      clientOptionsTransactions: this.client.countOf('OPTIONS'),
      refusedAppAcks: this.client.refusedAcks,
      applications: this.wire.clientCount,
      transport: this.transport.stats,
      staleTransactions: [...this.server.stale(64 * this.ctx.timers.T1), ...this.client.stale(64 * this.ctx.timers.T1)],
      dialogSample: this.dialogSummaries(10),
    };
  }
}
