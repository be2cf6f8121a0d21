/**
 * One end of a wire link between two threads: a net.Socket without a handle (drachtio-srf checks
 * `instanceof net.Socket`) whose bytes travel over a MessagePort — the engine thread's wire server
 * holds one end, drachtio-srf on the app thread the other, and between them go exactly the bytes a
 * loopback TCP connection would carry (`<N>#<payload>` frames).
 *
 * What is written in one event-loop turn crosses as one message (the receiver wakes once per turn,
 * not per frame); it is pushed to the reader as it arrives, never inside the writer's call stack.
 * end() sends a FIN after what is queued; destroy() closes the port, which destroys the other end.
 * Data is copied, not transferred: a written Buffer may share its memory with Node's pool.
 */
import type { MessagePort } from 'node:worker_threads';
import { HandlelessSocket } from '../wire/local-link';

type LinkMessage = Uint8Array | 'end';

export class PortLinkEnd extends HandlelessSocket {
  private queued: Buffer[] = [];
  private flushScheduled = false;

  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', (m: LinkMessage) => {
      if (this.destroyed) return;
      if (m === 'end') this.push(null);
      else this.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength));
    });
    port.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  /** Emit 'connect' on the next turn, as a socket that has just connected does (the app's end). */
  announceConnect(): this {
    setImmediate(() => this.emit('connect'));
    return this;
  }

  protected override get linkOpen(): boolean {
    return !this.destroyed;
  }

  protected override closedError(): Error {
    return new Error('wire link closed');
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.linkOpen) return cb(this.closedError());
    this.queued.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush();
    this.post('end');
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.queued = [];
    this.port.close();
    cb(err);
    this.emitCloseSoon(err !== null);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const chunks = this.queued;
    this.queued = [];
    this.post(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  private post(m: LinkMessage): void {
    try {
      this.port.postMessage(m);
    } catch (err) {
      this.destroy(err as Error);
    }
  }
}
