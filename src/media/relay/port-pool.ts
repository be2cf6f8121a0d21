/**
 * RTP port pairs from a configured range: RTP on an even port, RTCP on the next (odd) one
 * (RFC 3550 §11). Each pair comes back as two bound dgram sockets; a port some other process holds
 * (EADDRINUSE, EACCES) is skipped and the next pair tried. Allocation walks the range round-robin
 * so a just-released pair is reused last: stray packets of an ended call do not land in a new one.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { MediaError } from '../errors';

export const DEFAULT_PORT_MIN = 40000;
export const DEFAULT_PORT_MAX = 49999;

export interface PortPoolOptions {
  address: string;
  /** Lowest port (rounded up to even). Default 40000. */
  min?: number;
  /** Highest port (the last pair's RTCP port must be ≤ max). Default 49999. */
  max?: number;
}

export interface PortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
}

/** Bind one socket; resolves undefined (socket closed) when the port cannot be had. */
function bindSocket(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket({ type, reuseAddr: false });
    const onError = (): void => {
      sock.removeListener('listening', onListening);
      sock.close();
      resolve(undefined);
    };
    const onListening = (): void => {
      sock.removeListener('error', onError);
      resolve(sock);
    };
    sock.once('error', onError);
    sock.once('listening', onListening);
    sock.bind({ port, address, exclusive: true });
  });
}

const closeSocket = (s: dgram.Socket): Promise<void> =>
  new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });

export class PortPool {
  readonly address: string;
  readonly min: number;
  readonly max: number;
  private readonly type: 'udp4' | 'udp6';
  private readonly held = new Set<number>();
  private cursor: number;

  constructor(opts: PortPoolOptions) {
    const family = net.isIP(opts.address);
    if (family === 0) throw new MediaError('E_MEDIA_CONFIG', `bind address "${opts.address}" is not an IP address`);
    const min = opts.min ?? DEFAULT_PORT_MIN;
    const max = opts.max ?? DEFAULT_PORT_MAX;
    const evenMin = min + (min % 2);
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || evenMin + 1 > max) {
      throw new MediaError('E_MEDIA_CONFIG', `port range ${min}–${max}: need integers within 1024–65535 holding at least one even/odd pair`);
    }
    this.address = opts.address;
    this.type = family === 6 ? 'udp6' : 'udp4';
    this.min = evenMin;
    this.max = max;
    this.cursor = evenMin;
  }

  /** Number of RTP/RTCP pairs in the range. */
  get capacity(): number {
    return Math.floor((this.max - this.min + 1) / 2);
  }

  /** Ports held (two per pair). */
  inUse(): number {
    return this.held.size * 2;
  }

  /** Binds the next free pair; rejects with E_MEDIA_PORTS_EXHAUSTED after one pass over the range. */
  async allocate(): Promise<PortPair> {
    for (let tries = 0; tries < this.capacity; tries++) {
      const port = this.cursor;
      this.cursor = port + 3 > this.max ? this.min : port + 2;
      if (this.held.has(port)) continue;
      this.held.add(port); // reserve before awaiting: concurrent allocate() calls must not race for it
      const rtp = await bindSocket(this.type, this.address, port);
      const rtcp = rtp && (await bindSocket(this.type, this.address, port + 1));
      if (rtp && rtcp) return { rtpPort: port, rtcpPort: port + 1, rtp, rtcp };
      if (rtp) await closeSocket(rtp);
      this.held.delete(port);
    }
    throw new MediaError('E_MEDIA_PORTS_EXHAUSTED', `${this.address} ports ${this.min}–${this.max}: ${this.held.size} pairs held by this relay, the rest taken by other processes`);
  }

  /** Closes both sockets and returns the pair; releasing twice is harmless. */
  async release(pair: PortPair): Promise<void> {
    if (!this.held.has(pair.rtpPort)) return;
    await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp)]);
    this.held.delete(pair.rtpPort);
  }
}
