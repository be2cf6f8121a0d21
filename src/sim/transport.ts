/**
 * One carrier's sockets: a UDP socket and a TCP listener on the same port. Inbound bytes are turned
 * into whole SIP messages (one datagram, or one framed message from a stream) and handed up with
 * their source; outbound TCP reuses the connection to the target (a reply goes back on the connection
 * the request came on) and only connects when there is none.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { StreamFramer } from '../sip/stream-framer';
import type { Target } from '../sip/message';

export type ListenTransport = 'udp' | 'tcp' | 'both';

export interface Inbound {
  data: Buffer;
  source: Target;
}

/** Where to send; for TCP, `fallbackPort` is tried (on `address`) if no connection to address:port is open. */
export interface SendTarget extends Target {
  fallbackPort?: number;
}

export interface TransportHandlers {
  onMessage(m: Inbound): void;
  /** A stream that can no longer be framed (it is closed) or an unreadable datagram source. */
  onFramingError(source: Target, error: string): void;
}

export interface TransportOptions {
  host: string;
  port: number;
  transport: ListenTransport;
  logger: Logger;
  maxTcpConnections?: number;
  tcpIdleMs?: number;
}

const BIND_ATTEMPTS = 10;

export class CarrierTransport {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Map<string, net.Socket>();
  private boundPort = 0;
  private stopped = false;

  constructor(private readonly opts: TransportOptions, private readonly handlers: TransportHandlers) {}

  get port(): number {
    return this.boundPort;
  }

  get protocols(): readonly ('udp' | 'tcp')[] {
    return this.opts.transport === 'both' ? ['udp', 'tcp'] : [this.opts.transport];
  }

  /** Bind; with port 0 the TCP listener picks a port and UDP takes the same one (retried if taken). */
  async start(): Promise<number> {
    const wantUdp = this.opts.transport !== 'tcp';
    const wantTcp = this.opts.transport !== 'udp';
    let lastError: unknown;
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      let port = this.opts.port;
      try {
        if (wantTcp) port = await this.listenTcp(port);
        if (wantUdp) port = await this.bindUdp(port);
        this.boundPort = port;
        return port;
      } catch (err) {
        lastError = err;
        await this.closeSockets();
        if (this.opts.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  send(target: SendTarget, data: Buffer): void {
    if (this.stopped) return;
    if (target.protocol === 'udp') {
      if (!this.udp) return this.opts.logger.warn({ target }, 'no UDP socket to send on');
      this.udp.send(data, target.port, target.address, (err) => {
        if (err) this.opts.logger.debug({ err, target }, 'UDP send failed');
      });
      return;
    }
    let sock = this.conns.get(key(target.address, target.port));
    if ((!sock || sock.destroyed) && target.fallbackPort !== undefined) sock = this.conns.get(key(target.address, target.fallbackPort));
    if (!sock || sock.destroyed) sock = this.connect(target.address, target.fallbackPort ?? target.port);
    sock.write(data);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.closeSockets();
  }

  private async closeSockets(): Promise<void> {
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((r) => { try { udp.close(() => r()); } catch { r(); } }) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  private bindUdp(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: net.isIPv6(this.opts.host) ? 'udp6' : 'udp4' });
      const onError = (err: Error): void => reject(err);
      sock.once('error', onError);
      sock.bind(port, this.opts.host, () => {
        sock.off('error', onError);
        sock.on('error', (err) => this.opts.logger.warn({ err }, 'UDP socket error'));
        sock.on('message', (data, rinfo) => {
          this.handlers.onMessage({ data, source: { protocol: 'udp', address: rinfo.address, port: rinfo.port } });
        });
        this.udp = sock;
        resolve(sock.address().port);
      });
    });
  }

  private listenTcp(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.adopt(s));
      server.maxConnections = this.opts.maxTcpConnections ?? 4096;
      server.once('error', reject);
      server.listen({ port, host: this.opts.host, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.logger.warn({ err }, 'TCP listener error'));
        this.tcp = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private connect(address: string, port: number): net.Socket {
    const sock = net.connect({ host: address, port });
    this.adopt(sock, address, port);
    return sock;
  }

  /** Frame a connection's stream, index it by its remote address for replies, forget it when it closes. */
  private adopt(sock: net.Socket, address = sock.remoteAddress ?? '', port = sock.remotePort ?? 0): void {
    const k = key(address, port);
    this.conns.set(k, sock);
    const source: Target = { protocol: 'tcp', address, port };
    const framer = new StreamFramer();
    sock.setNoDelay(true);
    sock.setTimeout(this.opts.tcpIdleMs ?? 600_000, () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      for (const out of framer.push(chunk)) {
        if (out.kind === 'message') this.handlers.onMessage({ data: out.data, source });
        else if (out.kind === 'keepalive') sock.write('\r\n'); // RFC 5626 §4.4.1 pong
        else {
          this.handlers.onFramingError(source, out.error);
          if (out.fatal) sock.destroy();
        }
      }
    });
    sock.on('error', (err) => this.opts.logger.debug({ err, source }, 'TCP connection error'));
    sock.on('close', () => {
      if (this.conns.get(k) === sock) this.conns.delete(k);
    });
  }
}

const key = (address: string, port: number): string => `${address}|${port}`;
