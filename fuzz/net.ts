/**
 * The fuzzer's sockets: UDP sources and TCP connections on allowlisted 127.0.0.x addresses, and the
 * fuzz carriers' UDP socket and TCP listener. Each hands every complete message it receives to one
 * handler together with a way to answer on the same path. Nothing here decides what to send.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { StreamFramer } from '../src/sip/stream-framer';
import type { Endpoint } from './corpus';

export interface Link {
  me: Endpoint;
  send(bytes: Buffer): void;
  /** A TCP source: whether its connection is up (what is sent while it is down is dropped). */
  up?(): boolean;
}

export type OnMessage = (text: string, link: Link) => void;

export interface NetCounters {
  udpSent: number;
  tcpSent: number;
  sendErrors: number;
  tcpConnects: number;
  tcpClosedByEdge: number;
  received: number;
}

export const counters = (): NetCounters => ({ udpSent: 0, tcpSent: 0, sendErrors: 0, tcpConnects: 0, tcpClosedByEdge: 0, received: 0 });

export class UdpSource implements Link {
  me!: Endpoint;
  private readonly socket = dgram.createSocket('udp4');

  constructor(private readonly host: string, private readonly edge: { host: string; port: number }, private readonly onMessage: OnMessage, private readonly c: NetCounters) {}

  async open(port = 0): Promise<this> {
    // Answers go back where the message came from (the edge's SIP port).
    this.socket.on('message', (buf, from) => {
      this.c.received++;
      this.onMessage(buf.toString('utf8'), { me: this.me, send: (b) => this.sendTo(b, from.port, from.address) });
    });
    this.socket.on('error', () => void this.c.sendErrors++);
    await new Promise<void>((resolve) => this.socket.bind(port, this.host, resolve));
    this.me = { host: this.host, port: this.socket.address().port, transport: 'UDP' };
    return this;
  }

  send(bytes: Buffer): void {
    this.sendTo(bytes, this.edge.port, this.edge.host);
  }

  sendTo(bytes: Buffer, port: number, host: string): void {
    this.c.udpSent++;
    this.socket.send(bytes, port, host, (err) => void (err && this.c.sendErrors++));
  }

  close(): void {
    this.socket.close();
  }
}

/** A framed TCP stream: every complete SIP message in it, as text. */
function frame(sock: net.Socket, link: Link, onMessage: OnMessage, c: NetCounters): void {
  const framer = new StreamFramer();
  sock.on('data', (chunk: Buffer) => {
    for (const out of framer.push(chunk)) {
      if (out.kind !== 'message') continue;
      c.received++;
      onMessage(out.data.toString('utf8'), link);
    }
  });
}

/** One TCP connection to the edge from `host`, re-opened (at most once per `minGapMs`) when the edge closes it. */
export class TcpSource implements Link {
  me: Endpoint;
  private sock: net.Socket | undefined;
  private connecting = false;
  private lastConnect = 0;
  private stopped = false;

  constructor(private readonly host: string, private readonly edge: { host: string; port: number }, private readonly onMessage: OnMessage,
    private readonly c: NetCounters, private readonly minGapMs = 50) {
    this.me = { host, port: 0, transport: 'TCP' };
  }

  private connect(): void {
    if (this.connecting || this.stopped || Date.now() - this.lastConnect < this.minGapMs) return;
    this.connecting = true;
    this.lastConnect = Date.now();
    const s = net.connect({ host: this.edge.host, port: this.edge.port, localAddress: this.host });
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connecting = false;
      this.c.tcpConnects++;
      this.sock = s;
      this.me = { host: this.host, port: s.localPort ?? 0, transport: 'TCP' };
    });
    s.on('error', () => void this.c.sendErrors++);
    s.on('close', () => {
      this.connecting = false;
      if (this.sock === s) {
        this.sock = undefined;
        if (!this.stopped) this.c.tcpClosedByEdge++;
      }
    });
    frame(s, this, this.onMessage, this.c);
  }

  /** Whether a connection is up (messages sent while it is not are skipped, and a connect is started). */
  ready(): boolean {
    if (!this.sock) this.connect();
    return this.sock !== undefined;
  }

  up(): boolean {
    return this.ready() && this.sock!.writable;
  }

  send(bytes: Buffer): void {
    if (!this.ready()) return;
    this.c.tcpSent++;
    this.sock!.write(bytes);
  }

  close(): void {
    this.stopped = true;
    this.sock?.destroy();
  }
}

/** A fuzz carrier: the edge's requests arrive here (UDP socket and TCP listener on one port), answered through `onMessage`. */
export class CarrierServer {
  udp!: UdpSource;
  port = 0;
  private readonly server: net.Server;
  private readonly conns = new Set<net.Socket>();

  constructor(private readonly host: string, private readonly onMessage: OnMessage, private readonly c: NetCounters) {
    this.server = net.createServer((s) => {
      this.conns.add(s);
      s.on('close', () => this.conns.delete(s));
      s.on('error', () => undefined);
      const link: Link = {
        me: { host: this.host, port: this.port, transport: 'TCP' },
        send: (bytes) => {
          this.c.tcpSent++;
          if (!s.destroyed) s.write(bytes);
        },
      };
      frame(s, link, this.onMessage, this.c);
    });
  }

  async open(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    this.udp = await new UdpSource(this.host, { host: this.host, port: 0 }, this.onMessage, this.c).open(this.port);
    return this;
  }

  close(): void {
    this.udp.close();
    for (const s of this.conns) s.destroy();
    this.server.close();
  }
}
