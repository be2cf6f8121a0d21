/**
 * RTP/RTCP port pairs from a range (RFC 3550 §11: RTP on an even port, RTCP on the next one). The
 * cursor starts at a random pair so several allocators (simulators, IVRs, processes) sharing a range
 * rarely collide, skips pairs this allocator holds, and moves on when the OS says a port is taken.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface PortRange {
  /** First RTP port (rounded up to even). */
  min: number;
  /** Last port of the range (the RTCP port of the last pair may be max itself). */
  max: number;
}

export interface PortPair {
  port: number;
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
}

/** Even RTP ports in the range, in order. */
export function pairCount(range: PortRange): number {
  const first = range.min + (range.min % 2);
  return first + 1 > range.max ? 0 : Math.floor((range.max - first - 1) / 2) + 1;
}

export function checkRange(range: PortRange): string | undefined {
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1024 || range.max > 65535) return `RTP port range ${range.min}-${range.max} must be integers within 1024–65535`;
  if (pairCount(range) === 0) return `RTP port range ${range.min}-${range.max} holds no even/odd port pair`;
  return undefined;
}

/** How many pairs one allocation tries before giving up (bounded even for a huge, busy range). */
const MAX_ATTEMPTS = 64;

export class PortAllocator {
  private readonly first: number;
  private readonly pairs: number;
  private cursor: number;
  private readonly held = new Set<number>();

  constructor(readonly address: string, range: PortRange, start = Math.random()) {
    const problem = checkRange(range);
    if (problem) throw new RangeError(problem);
    this.first = range.min + (range.min % 2);
    this.pairs = pairCount(range);
    this.cursor = Math.floor(start * this.pairs) % this.pairs;
  }

  get inUse(): number {
    return this.held.size;
  }

  /** Bind an RTP socket and its RTCP neighbour; rejects when no pair could be bound. */
  async bindPair(): Promise<PortPair> {
    let lastError: unknown;
    for (let attempt = 0, tried = 0; attempt < this.pairs && tried < MAX_ATTEMPTS; attempt++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.pairs;
      if (this.held.has(port)) continue;
      tried++;
      this.held.add(port);
      try {
        const rtp = await bindUdp(this.address, port);
        try {
          const rtcp = await bindUdp(this.address, port + 1);
          return { port, rtp, rtcp };
        } catch (err) {
          rtp.close();
          throw err;
        }
      } catch (err) {
        this.held.delete(port);
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') break;
      }
    }
    throw new Error(`no free RTP port pair on ${this.address} (${this.inUse} held): ${lastError instanceof Error ? lastError.message : 'range exhausted'}`);
  }

  /** The pair's sockets were closed: the port may be handed out again. */
  release(port: number): void {
    this.held.delete(port);
  }
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    sock.once('error', (err) => {
      try { sock.close(); } catch { /* never bound */ }
      reject(err);
    });
    sock.bind({ port, address, exclusive: true }, () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}
