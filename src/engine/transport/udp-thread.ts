/**
 * UDP on its own thread (the ingress thread). Node delivers every datagram to JavaScript one by one
 * (~5–8 µs each on the reference machine), so a single sender flooding the SIP port can take the
 * whole event loop; with the socket on the main thread, legitimate packets then queue behind the
 * flood and overflow the kernel buffer. Here a worker thread owns the socket and runs the ingress
 * gate (admission, per-source rate, size): the flood is counted and dropped on that thread, and only
 * what passed crosses to the main thread, what is received in one event-loop turn as one message.
 * Sends go out on the same socket (so the source port is the listening port, as SIP requires):
 * directly from the main thread on its own duplicate of the descriptor (direct-send.ts), or — where
 * that cannot be, or the send buffer is full — by message to the worker, one per turn.
 *
 * Gate counters are in shared memory (read by engine stats without messages); drop notices come back
 * at most once a second per reason; the worker is restarted on the same port if it ever dies.
 * Backpressure: each batch is numbered and stamped; the main thread marks in shared memory the batch
 * it took, and while it is behind the worker sheds new calls (shed.ts).
 */
import path from 'node:path';
import net from 'node:net';
import type { Worker } from 'node:worker_threads';
import { startWorkerFile } from '../worker-file';
import type { EngineLogger } from '../logger';
import type { AdmissionOptions, ForeignAction } from './admission';
import type { DropReason, GateVerdict } from './gate';
import type { TransportLimits } from './limits';
import { DirectSender } from './direct-send';
import { isValidPort } from './response-target';
import { OverloadShedder, PRESSURE, SHARED_SLOTS, shedResponse, type ShedReason } from './shed';
import { serializeMessage } from '../../sip/serializer';

export interface WorkerInit {
  address: string;
  port: number;
  limits: TransportLimits;
  admission: AdmissionOptions | undefined;
  counters: SharedArrayBuffer;
}

/** One datagram to send; sends are posted in batches, one message per event-loop turn. */
export interface SendItem {
  id: number;
  data: Uint8Array;
  port: number;
  address: string;
}

/** One admitted datagram; the worker posts them in batches, one message per event-loop turn. */
export interface InItem {
  v: Exclude<GateVerdict, 'drop'>;
  data: Uint8Array;
  address: string;
  port: number;
  /** 1: a new call (first sighting of an out-of-dialog INVITE), which the main thread sheds if the batch is late. */
  f?: 1;
}

export type ToWorker =
  | { t: 'send'; items: SendItem[] }
  | { t: 'allow'; allow: readonly string[] | undefined; foreign: ForeignAction }
  | { t: 'close' };

export type FromWorker =
  /** fd: the socket's descriptor (-1 if unknown), for the main thread's direct sends (direct-send.ts). */
  | { t: 'listening'; port: number; fd: number }
  | { t: 'in'; seq: number; at: number; items: InItem[] }
  | { t: 'drop'; reason: DropReason; address: string; port: number }
  | { t: 'sendfail'; id: number; message: string }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; obj: object; msg: string }
  | { t: 'closed' };

export interface ThreadDatagram {
  data: Buffer;
  address: string;
  port: number;
  verdict: Exclude<GateVerdict, 'drop'>;
}

function workerFor(init: WorkerInit): Worker {
  return startWorkerFile(__dirname, path.extname(__filename), 'udp-worker', init);
}

/** How long a send's onFail is kept for an error report from the worker. */
const SEND_FAIL_WINDOW_MS = 2000;

export class UdpThreadTransport {
  private worker: Worker | undefined;
  private boundPort: number;
  private closing = false;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; onFail: (err: Error) => void }>();
  private outbox: SendItem[] = [];
  /** The main thread's own descriptor for the worker's socket; undefined: every send goes by message. */
  private direct: DirectSender | undefined;
  /** Datagrams sent directly from this thread (the rest went by message): for tests and stats. */
  directSends = 0;
  /** Gate counters, then the backpressure slots (shed.ts PRESSURE), in memory shared with the worker. */
  readonly counters: Float64Array;
  private readonly shared: SharedArrayBuffer;
  private admission: AdmissionOptions | undefined;
  /** This side of the shedding: late batches' new INVITEs, and retransmissions of those. */
  private readonly shedder: OverloadShedder;
  private lastTakenAt = 0;

  constructor(
    private readonly address: string,
    port: number,
    private readonly limits: TransportLimits,
    admission: AdmissionOptions | undefined,
    private readonly onDatagram: (d: ThreadDatagram) => void,
    private readonly onDrop: (reason: DropReason, address: string, port: number) => void,
    private readonly logger: EngineLogger,
    /** Another thread's lag that also makes a batch late (the app's, when the engine has a thread of its own). */
    private readonly appLag: () => number = () => 0,
  ) {
    this.boundPort = port;
    this.admission = admission;
    this.shared = new SharedArrayBuffer(SHARED_SLOTS * Float64Array.BYTES_PER_ELEMENT);
    this.counters = new Float64Array(this.shared);
    this.shedder = new OverloadShedder(limits, this.counters);
  }

  /**
   * How far behind the main thread is — the age of the last batch it took (0 when none for a second)
   * and what waits — and what was shed for it.
   */
  pressure(now = Date.now()): { lagMs: number; backlog: number; shed: number; shedAnswered503: number } {
    const c = this.counters;
    return { lagMs: now - this.lastTakenAt < 1000 ? c[PRESSURE.lagMs]! : 0, backlog: Math.max(0, c[PRESSURE.posted]! - c[PRESSURE.taken]!), shed: c[PRESSURE.shed]!, shedAnswered503: c[PRESSURE.shedAnswered503]! };
  }

  listen(): Promise<{ address: string; port: number }> {
    const init: WorkerInit = { address: this.address, port: this.boundPort, limits: this.limits, admission: this.admission, counters: this.shared };
    // A restarted worker numbers its batches from 1 again and has posted nothing yet.
    this.counters[PRESSURE.consumedSeq] = 0;
    this.counters[PRESSURE.taken] = this.counters[PRESSURE.posted]!;
    const worker = workerFor(init);
    this.worker = worker;
    return new Promise((resolve, reject) => {
      let up = false;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'listening') {
          up = true;
          this.boundPort = m.port;
          this.direct = m.fd >= 0 && !this.closing ? DirectSender.open(m.fd, net.isIPv6(this.address) ? 6 : 4) : undefined;
          resolve({ address: this.address, port: m.port });
        } else this.onMessage(m);
      });
      worker.on('error', (err) => {
        if (!up) reject(err);
        else this.logger.error({ err: err.message }, 'udp ingress thread failed');
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        // Our duplicate would keep the dead thread's socket bound and the restart's bind would fail.
        this.closeDirect();
        this.failPending(new Error('udp ingress thread exited'));
        if (!up) return reject(new Error(`udp ingress thread exited (${code}) before listening`));
        if (this.closing) return;
        this.logger.error({ code }, 'udp ingress thread exited; restarting it on the same port');
        setTimeout(() => void this.listen().catch((err: Error) => this.logger.error({ err: err.message }, 'udp ingress thread could not restart')), 200).unref();
      });
    });
  }

  /**
   * Send through the ingress thread's socket — directly from this thread when it can (direct-send.ts),
   * else by message to the ingress thread; never throws, failures go to onFail.
   */
  send(data: Buffer, port: number, address: string, onFail: (err: Error) => void): void {
    const w = this.worker;
    if (!w) return onFail(new Error('udp transport not listening'));
    if (!isValidPort(port) || net.isIP(address) === 0) return onFail(new Error(`invalid UDP target ${address}:${port}`));
    // Once a datagram of this turn waits in the outbox, the rest follow it there: sends stay in order.
    if (this.direct && this.outbox.length === 0) {
      const r = this.direct.send(data, port, address);
      if (r === 'sent') {
        this.directSends++;
        return;
      }
      if (r !== 'again') return onFail(r);
    }
    const id = this.nextId++;
    const now = Date.now();
    this.pending.set(id, { at: now, onFail });
    // Entries are in send order: drop the ones old enough that no error report will come for them.
    for (const [k, p] of this.pending) {
      if (now - p.at < SEND_FAIL_WINDOW_MS) break;
      this.pending.delete(k);
    }
    this.outbox.push({ id, data, port, address });
    if (this.outbox.length === 1) setImmediate(() => this.flush());
  }

  /** Post this turn's sends as one message. */
  private flush(): void {
    const items = this.outbox;
    this.outbox = [];
    if (items.length === 0) return;
    const w = this.worker;
    const msg: ToWorker = { t: 'send', items };
    try {
      if (!w) throw new Error('udp transport not listening');
      w.postMessage(msg);
    } catch (err) {
      for (const it of items) {
        const p = this.pending.get(it.id);
        this.pending.delete(it.id);
        p?.onFail(err as Error);
      }
    }
  }

  setAdmission(allow: readonly string[] | undefined, foreign: ForeignAction): void {
    this.admission = allow ? { allow, foreign } : undefined;
    const msg: ToWorker = { t: 'allow', allow, foreign };
    this.worker?.postMessage(msg);
  }

  /** Whether sends go directly from this thread now (false until listening, after close, without koffi). */
  get sendsDirectly(): boolean {
    return this.direct !== undefined;
  }

  /** Ends the ingress thread as a crash would; the transport restarts it on the same port (tests). */
  async terminateIngress(): Promise<void> {
    await this.worker?.terminate();
  }

  private closeDirect(): void {
    this.direct?.close();
    this.direct = undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.closeDirect();
    const w = this.worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      w.on('message', (m: FromWorker) => {
        if (m.t === 'closed') {
          clearTimeout(timer);
          resolve();
        }
      });
      const msg: ToWorker = { t: 'close' };
      w.postMessage(msg);
    });
    this.worker = undefined;
    this.failPending(new Error('udp transport closed'));
    await w.terminate();
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'in':
        this.take(m);
        break;
      case 'drop':
        this.onDrop(m.reason, m.address, m.port);
        break;
      case 'sendfail': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.onFail(new Error(m.message));
        break;
      }
      case 'log':
        this.logger[m.level](m.obj, m.msg);
        break;
      default:
        break;
    }
  }

  /** A batch from the worker: report it taken, then shed its new calls if it came too late. */
  private take(m: { seq: number; at: number; items: InItem[] }): void {
    const now = Date.now();
    const lag = now - m.at;
    this.counters[PRESSURE.consumedSeq] = m.seq;
    this.counters[PRESSURE.lagMs] = lag;
    this.counters[PRESSURE.taken]! += m.items.length;
    this.lastTakenAt = now;
    const late = Math.max(lag, this.appLag()) > this.limits.ingressMaxLagMs;
    for (const d of m.items) {
      if (late && d.f === 1) this.shed(d, now, 'lag');
      else if (this.shedder.isShed(d.data, now)) this.shed(d, now, 'retransmission');
      else this.onDatagram({ data: Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength), address: d.address, port: d.port, verdict: d.v });
    }
  }

  private shed(d: InItem, now: number, reason: ShedReason): void {
    this.shedder.remember(d.data, now);
    this.onDrop('overload', d.address, d.port);
    if (!this.shedder.take(now, reason)) return;
    const r = shedResponse(d.data, { protocol: 'udp', address: d.address, port: d.port }, this.limits.shedRetryAfterS);
    if (r) this.send(serializeMessage(r.res, true), r.target.port, r.target.address, () => undefined);
  }

  private failPending(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.onFail(err);
  }
}
