/**
 * TCP transport: a listener plus a table of connections keyed by remote address:port, reused for
 * both directions (RFC 3261 §18). Outbound connections are opened on demand; writes queue until the
 * connection is up. Each connection frames SIP with a StreamFramer (Content-Length).
 *
 * Failures reach the sender: a write error, or the connection failing or closing while a request
 * sent on it is still in flight, calls that send's onFail (the transaction then fails at once with a
 * transport error rather than waiting for timer B/F). Abusive peers are bounded by the rules in
 * tcp-limits.ts: caps at accept, idle/slowloris sweep, a cap on buffered bytes.
 */
import net from 'node:net';
import { StreamFramer } from '../../sip/stream-framer';
import type { TransportLimits } from './limits';
import type { TcpStats } from './stats';
import { ConnectionCaps, IN_FLIGHT_MS, isIdle, sweepInterval } from './tcp-limits';
import { isValidPort } from './response-target';

export interface StreamMessage {
  data: Buffer;
  address: string;
  port: number;
}

export interface TcpTransportOptions {
  address: string;
  port: number;
  limits: Pick<TransportLimits, 'maxTcpConnections' | 'tcpIdleTimeoutMs' | 'tcpMaxPendingBytes' | 'maxMessageBytes'>;
  /** Inbound connection cap for a peer address; 0 = do not accept it at all (foreign, drop mode). */
  sourceCap: (address: string) => number;
  stats: TcpStats;
  onMessage: (m: StreamMessage) => void;
  /** A framing error on a connection; `overflow` = too many bytes buffered (the connection is closed). */
  onFramingError: (remote: string, error: string, overflow: boolean) => void;
  /** A listener error after start (e.g. EMFILE on accept); the listener keeps running. */
  onError: (err: Error) => void;
}

interface Pending {
  data: Buffer;
  onFail: (err: Error) => void;
  /** A request: keep its onFail while it is in flight. */
  track: boolean;
}

interface Conn {
  readonly socket: net.Socket;
  readonly framer: StreamFramer;
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** Admitted through ConnectionCaps (released on close). */
  readonly counted: boolean;
  connected: boolean;
  queue: Pending[];
  inFlight: Array<{ at: number; onFail: (err: Error) => void }>;
  lastMessageAt: number;
  error: Error | undefined;
  /** Closed by us (shutdown, idle): in-flight requests are not failed — their answers may still come on a new connection. */
  quiet: boolean;
}

const key = (address: string, port: number): string => `${address}:${port}`;

export class TcpTransport {
  private server: net.Server | undefined;
  private readonly conns = new Map<string, Conn>();
  /** Every live connection, also one replaced in `conns` while it finishes closing. */
  private readonly live = new Set<Conn>();
  private readonly caps: ConnectionCaps;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TcpTransportOptions) {
    this.caps = new ConnectionCaps(opts.limits.maxTcpConnections);
  }

  listen(): Promise<{ address: string; port: number }> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.onError(err));
        const a = server.address() as net.AddressInfo;
        this.sweeper = setInterval(() => this.sweep(), sweepInterval(this.opts.limits.tcpIdleTimeoutMs));
        this.sweeper.unref();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  get connectionCount(): number {
    return this.live.size;
  }

  /** Whether a usable connection to address:port exists now. */
  hasConnection(address: string, port: number): boolean {
    return this.usable(key(address, port)) !== undefined;
  }

  /**
   * Send over the existing connection to address:port, or open one. Never throws: every failure,
   * synchronous or not, goes to onFail (possibly more than once; the caller keeps the first).
   * `track`: the message is a request whose transaction wants to hear about the connection failing.
   */
  send(data: Buffer, port: number, address: string, onFail: (err: Error) => void, track: boolean): void {
    if (!isValidPort(port) || net.isIP(address) === 0) return onFail(new Error(`invalid TCP target ${address}:${port}`));
    const k = key(address, port);
    let c = this.usable(k);
    if (!c) {
      if (!this.caps.roomFor(this.live.size)) return onFail(new Error('too many TCP connections'));
      let socket: net.Socket;
      try {
        const local = this.opts.address === '0.0.0.0' || this.opts.address === '::' ? undefined : this.opts.address;
        socket = net.connect({ host: address, port, localAddress: local });
      } catch (err) {
        return onFail(err as Error);
      }
      this.opts.stats.connected++;
      c = this.adopt(socket, { connected: false, key: k, address, port, counted: false });
    }
    c.lastMessageAt = Date.now();
    const p: Pending = { data, onFail, track };
    if (c.connected) this.write(c, p);
    else c.queue.push(p);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const c of this.live) {
      c.quiet = true;
      c.socket.destroy();
    }
    this.conns.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: net.Socket): void {
    const stats = this.opts.stats;
    stats.accepted++;
    socket.on('error', () => undefined); // a peer resetting before we look must not throw
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const verdict = this.caps.admit(address, this.live.size, this.opts.sourceCap(address));
    if (verdict !== 'ok') {
      if (verdict === 'foreign') stats.closedForeign++;
      else stats.closedCap++;
      socket.destroy();
      return;
    }
    this.adopt(socket, { connected: true, key: key(address, port), address, port, counted: true });
  }

  private usable(k: string): Conn | undefined {
    const c = this.conns.get(k);
    if (!c || c.socket.destroyed || c.socket.writableEnded) return undefined;
    return c;
  }

  private adopt(socket: net.Socket, o: { connected: boolean; key: string; address: string; port: number; counted: boolean }): Conn {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const pending = this.opts.limits.tcpMaxPendingBytes;
    const c: Conn = {
      socket, key: o.key, address: o.address, port: o.port, counted: o.counted, connected: o.connected,
      framer: new StreamFramer({ maxHeaderBytes: Math.min(pending, 64 * 1024), maxMessageBytes: Math.min(pending, this.opts.limits.maxMessageBytes) }),
      queue: [], inFlight: [], lastMessageAt: Date.now(), error: undefined, quiet: false,
    };
    this.conns.set(o.key, c);
    this.live.add(c);
    this.opts.stats.open = this.live.size;
    socket.on('connect', () => {
      c.connected = true;
      c.lastMessageAt = Date.now();
      const q = c.queue;
      c.queue = [];
      for (const p of q) this.write(c, p);
    });
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('error', (err) => {
      c.error ??= err;
    });
    socket.on('close', () => this.onClose(c));
    return c;
  }

  private write(c: Conn, p: Pending): void {
    if (p.track) c.inFlight.push({ at: Date.now(), onFail: p.onFail });
    c.socket.write(p.data, (err) => {
      if (err) p.onFail(err);
    });
  }

  private onData(c: Conn, chunk: Buffer): void {
    for (const out of c.framer.push(chunk)) {
      if (out.kind === 'message') {
        c.lastMessageAt = Date.now();
        this.opts.onMessage({ data: out.data, address: c.address, port: c.port });
      } else if (out.kind === 'keepalive') {
        if (c.socket.writable) c.socket.write('\r\n'); // RFC 5626 pong; not activity (see tcp-limits.ts)
      } else {
        // The framer's size errors say "exceeds": the peer buffered more than we hold for one message.
        const overflow = /exceeds/.test(out.error);
        this.opts.onFramingError(c.key, out.error, overflow);
        if (out.fatal) {
          if (overflow) this.opts.stats.closedBuffer++;
          c.socket.destroy();
          return;
        }
      }
    }
  }

  private onClose(c: Conn): void {
    this.live.delete(c);
    this.opts.stats.open = this.live.size;
    if (this.conns.get(c.key) === c) this.conns.delete(c.key);
    if (c.counted) this.caps.release(c.address);
    if (c.quiet) return;
    const err = c.error ?? new Error('TCP connection closed');
    const now = Date.now();
    const fails = [...c.queue.map((p) => p.onFail), ...c.inFlight.filter((f) => now - f.at < IN_FLIGHT_MS).map((f) => f.onFail)];
    c.queue = [];
    c.inFlight = [];
    for (const f of fails) f(err);
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.live) {
      if (c.inFlight.length && now - c.inFlight[0]!.at >= IN_FLIGHT_MS) c.inFlight = c.inFlight.filter((f) => now - f.at < IN_FLIGHT_MS);
      if (!c.socket.destroyed && isIdle(c.lastMessageAt, now, this.opts.limits.tcpIdleTimeoutMs)) {
        this.opts.stats.closedIdle++;
        c.quiet = true;
        c.socket.destroy();
      }
    }
  }
}
