/**
 * The drachtio wire-protocol server that drachtio-srf applications connect to (srf.connect).
 *
 * Owns the TCP listener, per-connection framing, authentication, the verb routing table (several
 * applications on one verb are served round-robin, as drachtio-server does) and ping. SIP commands
 * are handed to a WireCommandSink (the engine core); this module knows nothing about SIP.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { WireDecoder, frameText } from './framing';
import { localLink, type LocalLinkEnd, type WireSocket } from './local-link';
import { apiResponse, parseAppFrame, type AppFrame } from './protocol';
import type { EngineLogger } from '../logger';

export interface WireClient {
  readonly id: string;
  readonly remote: string;
  readonly tags: ReadonlySet<string>;
  readonly alive: boolean;
  send(payload: string): void;
}

export interface WireCommandSink {
  /** `sip|<txnId>|<dialogId>[|<routeUri>]\r\n<SIP>` from an application. */
  onSip(client: WireClient, msgId: string, txnId: string, dialogId: string, routeUri: string | undefined, sip: string): void;
  /** `proxy|<txnId>|…` from an application (srf.proxyRequest / req.proxy). */
  onProxy(client: WireClient, msgId: string, txnId: string): void;
  /** The application's connection closed. */
  onClientGone(client: WireClient): void;
}

export interface WireServerOptions {
  host: string;
  port: number;
  secret: string;
  /** What `authenticate` answers: `udp/127.0.0.1:5060,tcp/…`. */
  hostports: () => string;
  localHostports: () => string;
  version: string;
  logger: EngineLogger;
  /** Largest frame an application may send before the connection is closed. */
  maxFrameBytes?: number;
}

/** Verbs an application may route (drachtio-server's wants_requests accepts SIP methods and cdr events). */
const ROUTABLE = new Set([
  'invite', 'register', 'bye', 'cancel', 'ack', 'options', 'info', 'update', 'prack', 'subscribe',
  'notify', 'refer', 'message', 'publish', 'cdr:attempt', 'cdr:start', 'cdr:stop',
]);

class Connection implements WireClient {
  readonly id = randomUUID();
  readonly remote: string;
  readonly tags = new Set<string>();
  authenticated = false;
  readonly decoder = new WireDecoder();

  constructor(readonly socket: WireSocket) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  }

  get alive(): boolean {
    return this.authenticated && !this.socket.destroyed;
  }

  send(payload: string): void {
    if (!this.socket.destroyed) this.socket.write(frameText(payload));
  }
}

export class WireServer extends EventEmitter {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  /** verb → applications routed for it, in registration order; rr index per verb. */
  private readonly routes = new Map<string, Connection[]>();
  private readonly rr = new Map<string, number>();

  constructor(private readonly opts: WireServerOptions, private readonly sink: WireCommandSink) {
    super();
  }

  listen(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.accept(s));
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        this.opts.logger.info({ address: a.address, port: a.port }, 'wire protocol listening');
        resolve({ address: a.address, port: a.port });
      });
      this.server = server;
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * An application in this process connects through the returned end of an in-process link
   * (local-link.ts) instead of loopback TCP: the same wire protocol, byte for byte.
   */
  connectLocal(): LocalLinkEnd {
    const [engineEnd, appEnd] = localLink();
    this.accept(engineEnd);
    return appEnd;
  }

  /** An application connection that is not a TCP socket this server accepted (the engine thread's port link). */
  acceptLink(socket: WireSocket): void {
    this.accept(socket);
  }

  /** Pick the next application routed for a verb (round-robin), or undefined when none is. */
  selectClient(verb: string, tag?: string): WireClient | undefined {
    const list = (this.routes.get(verb) ?? []).filter((c) => c.alive && (!tag || c.tags.has(tag)));
    if (list.length === 0) return undefined;
    const i = (this.rr.get(verb) ?? 0) % list.length;
    this.rr.set(verb, i + 1);
    return list[i];
  }

  /** Every application routed for a verb (cdr events go to all of them). */
  clientsFor(verb: string): WireClient[] {
    return (this.routes.get(verb) ?? []).filter((c) => c.alive);
  }

  get clientCount(): number {
    return [...this.connections].filter((c) => c.authenticated).length;
  }

  private accept(socket: WireSocket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const conn = new Connection(socket);
    this.connections.add(conn);
    this.opts.logger.debug({ remote: conn.remote }, 'wire client connected');
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.opts.logger.debug({ remote: conn.remote, err: err.message }, 'wire socket error'));
    socket.on('close', () => this.drop(conn));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    for (const f of conn.decoder.push(chunk)) {
      if (f.kind === 'error') {
        this.opts.logger.warn({ remote: conn.remote, error: f.error }, 'invalid wire frame, closing connection');
        conn.socket.destroy();
        return;
      }
      const frame = parseAppFrame(f.payload);
      if (!frame) {
        this.opts.logger.warn({ remote: conn.remote }, 'unparseable wire frame, closing connection');
        conn.socket.destroy();
        return;
      }
      try {
        this.dispatch(conn, frame);
      } catch (err) {
        // A bug handling one command must not take down the engine or the other applications.
        this.opts.logger.error({ remote: conn.remote, type: frame.type, err: (err as Error).stack }, 'wire command failed');
      }
    }
  }

  private dispatch(conn: Connection, frame: AppFrame): void {
    if (frame.type === 'authenticate') return this.authenticate(conn, frame);
    if (!conn.authenticated) {
      conn.send(apiResponse(frame.msgId, false, 'not authenticated'));
      return;
    }
    switch (frame.type) {
      case 'ping':
        conn.send(apiResponse(frame.msgId, true, 'pong'));
        return;
      case 'route':
        return this.route(conn, frame, true);
      case 'remove_route':
        return this.route(conn, frame, false);
      case 'sip': {
        const [txnId = '', dialogId = '', routeUri] = frame.tokens;
        this.sink.onSip(conn, frame.msgId, txnId, dialogId, routeUri || undefined, frame.sip);
        return;
      }
      case 'proxy':
        this.sink.onProxy(conn, frame.msgId, frame.tokens[0] ?? '');
        return;
      default:
        conn.send(apiResponse(frame.msgId, false, 'Unknown message type'));
    }
  }

  private authenticate(conn: Connection, frame: AppFrame): void {
    const [secret = '', tags = ''] = frame.tokens;
    if (secret !== this.opts.secret) {
      this.opts.logger.warn({ remote: conn.remote }, 'wire client failed authentication');
      conn.send(apiResponse(frame.msgId, false, 'incorrect secret'));
      conn.socket.end();
      return;
    }
    conn.authenticated = true;
    for (const t of tags.split(',')) if (t) conn.tags.add(t);
    conn.send(apiResponse(frame.msgId, true, `${this.opts.hostports()}|${this.opts.version}|${this.opts.localHostports()}`));
    this.opts.logger.info({ remote: conn.remote }, 'wire client authenticated');
    this.emit('client', conn);
  }

  private route(conn: Connection, frame: AppFrame, add: boolean): void {
    const verb = (frame.tokens[0] ?? '').toLowerCase();
    if (!ROUTABLE.has(verb)) {
      conn.send(apiResponse(frame.msgId, false, `${add ? 'Route' : 'Remove route'} request includes unsupported verb`));
      return;
    }
    const list = this.routes.get(verb) ?? [];
    const filtered = list.filter((c) => c !== conn);
    if (add) filtered.push(conn);
    this.routes.set(verb, filtered);
    conn.send(apiResponse(frame.msgId, true));
  }

  private drop(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    for (const [verb, list] of this.routes) this.routes.set(verb, list.filter((c) => c !== conn));
    this.opts.logger.info({ remote: conn.remote }, 'wire client disconnected');
    if (conn.authenticated) this.sink.onClientGone(conn);
  }
}
