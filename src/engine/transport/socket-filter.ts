/**
 * Attach / detach a classic BPF program (bpf-program.ts) to a node dgram socket: setsockopt(fd,
 * SOL_SOCKET, SO_ATTACH_FILTER | SO_DETACH_FILTER). Node has no API for either, so libc's setsockopt
 * is called through koffi (libc.ts).
 *
 * A typed adapter over two things node and koffi do not type:
 *  - the socket's file descriptor: node keeps the libuv handle under the socket's 'state symbol'
 *    (lib/internal/dgram.js, kStateSymbol; `socket._handle` reaches it too but prints DEP0112) and the
 *    handle has an `fd` getter (-1 on Windows or before bind);
 *  - koffi's functions, typed `(...args: any[]) => any`.
 * Linux only: elsewhere, or if koffi cannot load, `unavailable()` says why and nothing is attached.
 * test/integration/socket-filter.test.ts checks it against the kernel.
 */
import type dgram from 'node:dgram';
import { libcFunctions } from './libc';

const SOL_SOCKET = 1;
const SO_ATTACH_FILTER = 26;
const SO_DETACH_FILTER = 27;
/** sizeof(struct sock_fprog) on 64-bit Linux: unsigned short len, padding, struct sock_filter *filter. */
const FPROG_SIZE = 16;

interface Libc {
  attach(fd: number, program: Buffer): number;
  detach(fd: number): number;
  errno(): number;
}

const load = libcFunctions<Libc>('socket filters', ({ koffi, lib }) => {
  koffi.struct('trunkwise_sock_fprog', { len: 'uint16_t', filter: 'void *' });
  const set = lib.func('int setsockopt(int, int, int, const trunkwise_sock_fprog *, uint32_t)');
  const setInt = lib.func('int setsockopt(int, int, int, int *, uint32_t)');
  return {
    attach: (fd, program) => Number(set(fd, SOL_SOCKET, SO_ATTACH_FILTER, { len: program.length / 8, filter: program }, FPROG_SIZE)),
    detach: (fd) => Number(setInt(fd, SOL_SOCKET, SO_DETACH_FILTER, [0], 4)),
    errno: () => koffi.errno(),
  };
});

/** undefined when filters can be attached here, else why not. */
export function unavailable(): string | undefined {
  const l = load();
  return typeof l === 'string' ? l : undefined;
}

/** The socket's file descriptor, or undefined (not bound, not a platform with one, node changed). */
export function socketFd(socket: dgram.Socket): number | undefined {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (!sym) return undefined;
  const state: unknown = (socket as unknown as Record<symbol, unknown>)[sym];
  const handle = typeof state === 'object' && state !== null ? (state as { handle?: unknown }).handle : undefined;
  const fd = typeof handle === 'object' && handle !== null ? (handle as { fd?: unknown }).fd : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Attach (or replace: the kernel swaps programs atomically). Throws with the reason when it cannot. */
export function attachFilter(socket: dgram.Socket, program: Buffer): void {
  const l = load();
  if (typeof l === 'string') throw new Error(l);
  const fd = socketFd(socket);
  if (fd === undefined) throw new Error('the socket has no file descriptor (not bound?)');
  if (l.attach(fd, program) !== 0) throw new Error(`setsockopt(SO_ATTACH_FILTER) failed, errno ${l.errno()}`);
}

/** Remove the filter; false if there was none or the socket is gone. Never throws. */
export function detachFilter(socket: dgram.Socket): boolean {
  const l = load();
  const fd = socketFd(socket);
  if (typeof l === 'string' || fd === undefined) return false;
  return l.detach(fd) === 0;
}
