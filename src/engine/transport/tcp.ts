/**
 * TCP transport: a listener plus a table of connections keyed by remote address:port, reused for
 * both directions (RFC 3261 §18). Outbound connections are opened on demand; writes queue until the
 * connection is up. Each connection frames SIP with a StreamFramer (Content-Length).
 */
import net from 'node:net';
import { StreamFramer } from '../../sip/stream-framer';

export interface StreamMessage {
  data: Buffer;
  address: string;
  port: number;
}

export interface TcpTransportOptions {
  address: string;
  port: number;
  maxConnections: number;
  idleTimeoutMs: number;
  maxMessageBytes: number;
  onMessage: (m: StreamMessage) => void;
  /** A framing error on a connection (it is closed). */
  onFramingError: (remote: string, error: string) => void;
}

interface Conn {
  socket: net.Socket;
  framer: StreamFramer;
  connected: boolean;
  queue: Buffer[];
  failures: Array<(err: Error) => void>;
}

const key = (address: string, port: number): string => `${address}:${port}`;

export class TcpTransport {
  private server: net.Server | undefined;
  private readonly conns = new Map<string, Conn>();

  constructor(private readonly opts: TcpTransportOptions) {}

  listen(): Promise<{ address: string; port: number }> {
    const server = net.createServer((socket) => this.adopt(socket, true));
    server.maxConnections = this.opts.maxConnections;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Send over the existing connection to address:port, or open one. */
  send(data: Buffer, port: number, address: string, onFail: (err: Error) => void): void {
    let c = this.conns.get(key(address, port));
    if (!c) {
      if (this.conns.size >= this.opts.maxConnections) return onFail(new Error('too many TCP connections'));
      const socket = net.connect({ host: address, port, localAddress: this.opts.address === '0.0.0.0' || this.opts.address === '::' ? undefined : this.opts.address });
      c = this.adopt(socket, false, key(address, port));
    }
    if (c.connected) c.socket.write(data);
    else {
      c.queue.push(data);
      c.failures.push(onFail);
    }
  }

  private adopt(socket: net.Socket, connected: boolean, forcedKey?: string): Conn {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const k = forcedKey ?? key(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    const c: Conn = {
      socket,
      framer: new StreamFramer({ maxMessageBytes: this.opts.maxMessageBytes }),
      connected,
      queue: [],
      failures: [],
    };
    this.conns.set(k, c);
    socket.setTimeout(this.opts.idleTimeoutMs, () => socket.destroy());
    socket.on('connect', () => {
      c.connected = true;
      for (const b of c.queue) socket.write(b);
      c.queue = [];
      c.failures = [];
    });
    socket.on('data', (chunk: Buffer) => {
      const address = socket.remoteAddress ?? '';
      const port = socket.remotePort ?? 0;
      for (const out of c.framer.push(chunk)) {
        if (out.kind === 'message') this.opts.onMessage({ data: out.data, address, port });
        else if (out.kind === 'keepalive') socket.write('\r\n');
        else if (out.kind === 'error') {
          this.opts.onFramingError(k, out.error);
          if (out.fatal) {
            socket.destroy();
            return;
          }
        }
      }
    });
    socket.on('error', (err) => {
      for (const f of c.failures) f(err);
      c.failures = [];
      c.queue = [];
    });
    socket.on('close', () => {
      if (this.conns.get(k) === c) this.conns.delete(k);
    });
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
