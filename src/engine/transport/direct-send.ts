/**
 * Sending on the ingress thread's UDP socket from the main thread, without waking that thread.
 *
 * A postMessage to a thread asleep in its event loop costs the sender ~10–22 µs on the reference
 * machine (the wake-up, whatever the payload), and every SIP message the engine sent used to pay it,
 * and the ingress thread then woke to send it. Here the main thread holds its own descriptor for the
 * same socket — dup(2) of the one the ingress thread reads — and calls sendto(2) on it, so what
 * leaves has the listening port as its source port, as SIP requires, and the ingress thread only
 * wakes for what arrives. bench/handoff.bench.ts: ~6 µs a send toward a destination that wakes no one
 * (as out of a network interface) instead of ~22; on loopback toward a sleeping receiver (SIPp in
 * the benchmarks) sendto pays that receiver's wake-up itself and costs the same as the message, so
 * there only the ingress thread's share goes (engine bench at 400 calls/s: that thread 12–19 % → 7–8 %
 * of a core, the process's CPU per call ~10 % less). The socket is non-blocking (libuv's): a full
 * send buffer answers EAGAIN and the caller falls back to posting the datagram to the ingress thread.
 *
 * The duplicate keeps the socket open: close() it before the ingress thread closes or is restarted
 * on the same port, or the new bind finds the port taken.
 *
 * A typed adapter over koffi (libc.ts, as socket-filter.ts): libc's dup, sendto, close, called through
 * its functions typed `(...args: any[]) => any`. Linux only; elsewhere, or when koffi cannot load,
 * open() returns undefined and every datagram goes by message, as before.
 * test/integration/udp-direct-send.test.ts checks it against the kernel.
 */
import net from 'node:net';
import { ipv4Word, ipv6Words } from './bpf-program';
import { libcFunctions } from './libc';

const AF_INET = 2;
const AF_INET6 = 10;
const EAGAIN = 11;
const ENOBUFS = 105;
/** Targets whose socket address is kept ready (a B2BUA talks to few peers; bounded against floods). */
const MAX_CACHED_TARGETS = 1024;

interface Libc {
  dup(fd: number): number;
  close(fd: number): number;
  sendto(fd: number, data: Uint8Array, length: number, addr: Buffer, addrLength: number): number;
  errno(): number;
}

const load = libcFunctions<Libc>('direct sends', ({ koffi, lib }) => {
  const dup = lib.func('int dup(int)');
  const close = lib.func('int close(int)');
  const sendto = lib.func('long sendto(int, const uint8_t *, size_t, int, const uint8_t *, uint32_t)');
  return {
    dup: (fd) => Number(dup(fd)),
    close: (fd) => Number(close(fd)),
    sendto: (fd, data, length, addr, addrLength) => Number(sendto(fd, data, length, 0, addr, addrLength)),
    errno: () => koffi.errno(),
  };
});

/** What one send did: sent, or 'again' (send buffer full: post it to the ingress thread), or why not. */
export type DirectResult = 'sent' | 'again' | Error;

/** struct sockaddr_in / sockaddr_in6 for a literal address, or undefined for another family or a scoped one. */
function sockaddr(family: 4 | 6, address: string, port: number): Buffer | undefined {
  const kind = net.isIP(address);
  // A scoped (link-local %zone) IPv6 target needs sin6_scope_id: left to the ingress thread's dgram.
  if (kind !== family || address.includes('%')) return undefined;
  if (kind === 4) {
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    sa.writeUInt32BE(ipv4Word(address), 4);
    return sa;
  }
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  ipv6Words(address).forEach((w, i) => sa.writeUInt32BE(w, 8 + 4 * i));
  return sa;
}

export class DirectSender {
  private readonly targets = new Map<string, Buffer | undefined>();

  private constructor(private readonly l: Libc, private fd: number, private readonly family: 4 | 6) {}

  /** A sender on a duplicate of `fd` (the ingress thread's socket), or undefined where it cannot be. */
  static open(fd: number, family: 4 | 6): DirectSender | undefined {
    const l = load();
    if (typeof l === 'string') return undefined;
    const mine = l.dup(fd);
    return mine < 0 ? undefined : new DirectSender(l, mine, family);
  }

  /** Why open() would return undefined here, or undefined when it would not. */
  static unavailable(): string | undefined {
    const l = load();
    return typeof l === 'string' ? l : undefined;
  }

  send(data: Uint8Array, port: number, address: string): DirectResult {
    if (this.fd < 0) return 'again';
    const key = `${address}:${port}`;
    let sa = this.targets.get(key);
    if (sa === undefined && !this.targets.has(key)) {
      sa = sockaddr(this.family, address, port);
      if (this.targets.size >= MAX_CACHED_TARGETS) this.targets.clear();
      this.targets.set(key, sa);
    }
    // Another family than the socket's (e.g. an IPv6 target on an IPv4 socket): the ingress thread's
    // dgram.send gives the error it always gave.
    if (sa === undefined) return 'again';
    let n: number;
    try {
      n = this.l.sendto(this.fd, data, data.byteLength, sa, sa.length);
    } catch (err) {
      // koffi refusing its arguments: an error for this send, never an exception out of the transport.
      return new Error(`sendto ${address}:${port}: ${(err as Error).message}`);
    }
    if (n >= 0) return 'sent';
    const errno = this.l.errno();
    if (errno === EAGAIN || errno === ENOBUFS) return 'again';
    return new Error(`sendto ${address}:${port} failed, errno ${errno}`);
  }

  /** Close the duplicate (idempotent); later sends answer 'again'. */
  close(): void {
    if (this.fd < 0) return;
    this.l.close(this.fd);
    this.fd = -1;
  }
}
