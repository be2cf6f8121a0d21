/**
 * An in-process link between the engine's wire-protocol server and an application in the same
 * process: two cross-connected Duplex streams carrying exactly the bytes a loopback TCP connection
 * would (`<N>#<payload>` frames), without the kernel, the socket writes or the per-write syscalls.
 *
 * Writes are delivered to the other end asynchronously, gathered per event-loop turn (setImmediate):
 * the receiver never runs inside the sender's call stack, as with a real socket, and a burst of frames
 * written in one turn arrives as one chunk. end() half-closes like TCP FIN; destroy() tears both ends
 * down like a reset. Each end is a net.Socket without a handle (drachtio-srf checks `instanceof
 * net.Socket`), with the stream hooks replaced and the addresses srf reads set.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** What the wire server needs from a connection: a net.Socket, or one end of a local link. */
export interface WireSocket extends Duplex {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  setNoDelay(noDelay?: boolean): unknown;
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown;
}

let nextPort = 1;

/**
 * A net.Socket without a handle, the shell both in-process links share (this one, and the engine
 * thread's port link): the addresses srf reads, no reads to start, writev as writes, and the 'close'
 * a socket emits once its (absent) handle is closed.
 */
export abstract class HandlelessSocket extends net.Socket implements WireSocket {
  /** `remotePort`: read when asked (undefined: this end's own port number). */
  constructor(remotePort?: () => number) {
    super({ allowHalfOpen: false });
    // net.Socket reads these from its handle; srf keys per-socket state on remotePort:localPort.
    const port = nextPort++;
    Object.defineProperty(this, 'remoteAddress', { value: '127.0.0.1' });
    Object.defineProperty(this, 'localAddress', { value: '127.0.0.1' });
    Object.defineProperty(this, 'localPort', { value: port });
    Object.defineProperty(this, 'remotePort', remotePort ? { get: remotePort } : { value: port });
  }

  /** Whether what is written can still reach the other end; else writes fail with `closedError()`. */
  protected abstract get linkOpen(): boolean;

  protected abstract closedError(): Error;

  override _read(): void {
    /* data is pushed as the other end delivers it */
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    for (const c of chunks) this._write(c.chunk, c.encoding, () => undefined);
    cb(this.linkOpen ? null : this.closedError());
  }

  /** Call at the end of _destroy: net.Socket emits 'close' itself once its handle is closed; there is none here. */
  protected emitCloseSoon(hadError: boolean): void {
    process.nextTick(() => this.emit('close', hadError));
  }
}

export class LocalLinkEnd extends HandlelessSocket {
  peer: LocalLinkEnd | undefined;
  private queued: Array<Buffer | string> = [];
  private flushScheduled = false;

  constructor() {
    super(() => this.peer?.localPort ?? 0);
  }

  protected override get linkOpen(): boolean {
    return this.peer !== undefined && !this.peer.destroyed;
  }

  protected override closedError(): Error {
    return new Error('local wire link closed');
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || !this.linkOpen) return cb(this.closedError());
    peer.queued.push(chunk);
    if (!peer.flushScheduled) {
      peer.flushScheduled = true;
      setImmediate(() => peer.flush());
    }
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    // FIN after whatever is still queued for the peer.
    if (peer && !peer.destroyed) setImmediate(() => {
      peer.flush();
      peer.push(null);
    });
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.queued = [];
    if (peer && !peer.destroyed) setImmediate(() => peer.destroy());
    cb(err);
    this.emitCloseSoon(err !== null);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.destroyed || this.queued.length === 0) return;
    const chunks = this.queued;
    this.queued = [];
    if (chunks.length === 1) {
      const c = chunks[0]!;
      this.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
      return;
    }
    if (chunks.every((c) => typeof c === 'string')) this.push(Buffer.from(chunks.join(''), 'utf8'));
    else this.push(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))));
  }
}

/** Two connected ends: [engine side, application side]. The application side emits 'connect' on the next turn. */
export function localLink(): [LocalLinkEnd, LocalLinkEnd] {
  const a = new LocalLinkEnd();
  const b = new LocalLinkEnd();
  a.peer = b;
  b.peer = a;
  setImmediate(() => b.emit('connect'));
  return [a, b];
}
