/**
 * The UDP ingress thread (see udp-thread.ts): owns the socket, runs the ingress gate on every
 * datagram, passes on what is admitted, sends what the main thread asks. Nothing here may throw out
 * of a handler: an error is reported to the main thread's logger and the datagram is lost.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineLogger } from '../logger';
import { SourceAdmission } from './admission';
import { IngressGate, type DropReason } from './gate';
import { OverloadShedder, PRESSURE, shedResponse } from './shed';
import { FLOOD_TICK_MS, FloodGuard } from './flood-guard';
import { socketFd } from './socket-filter';
import { serializeMessage } from '../../sip/serializer';
import type { FromWorker, InItem, SendItem, ToWorker, WorkerInit } from './udp-thread';

const init = workerData as WorkerInit;
const parent = parentPort;
if (!parent) throw new Error('udp-worker runs as a worker thread only');
const post = (m: FromWorker): void => parent.postMessage(m);

const logger: EngineLogger = {
  debug: () => undefined,
  info: (obj, msg = '') => post({ t: 'log', level: 'info', obj, msg }),
  warn: (obj, msg = '') => post({ t: 'log', level: 'warn', obj, msg }),
  error: (obj, msg = '') => post({ t: 'log', level: 'error', obj, msg }),
};

const admission = new SourceAdmission(logger, init.admission);
const shared = new Float64Array(init.counters);
const gate = new IngressGate(init.limits, admission, shared);
const shedder = new OverloadShedder(init.limits, shared);
const lastDrop = new Map<DropReason, number>();

/** Datagrams admitted in this event-loop turn, posted to the main thread as one message. */
let inbox: InItem[] = [];
let seq = 0;
function flushInbox(): void {
  const items = inbox;
  inbox = [];
  if (!items.length) return;
  const at = Date.now();
  shedder.posted(++seq, at, items.length);
  post({ t: 'in', seq, at, items });
}

/** A drop notice to the main thread's logger: a flood must not become a message flood, so one per reason per second. */
function notifyDrop(reason: DropReason, address: string, port: number, now: number): void {
  if (now - (lastDrop.get(reason) ?? 0) < 1000) return;
  lastDrop.set(reason, now);
  post({ t: 'drop', reason, address, port });
}

/** A new INVITE while the main thread is behind: a stateless 503 within the budget, else nothing. */
function shed(data: Uint8Array, address: string, port: number, now: number): void {
  notifyDrop('overload', address, port, now);
  if (!shedder.take(now)) return;
  const r = shedResponse(data, { protocol: 'udp', address, port }, init.limits.shedRetryAfterS);
  if (r) send({ id: 0, data: serializeMessage(r.res, true), port: r.target.port, address: r.target.address });
}

const socket = dgram.createSocket({ type: net.isIPv6(init.address) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });

socket.on('message', (data, rinfo) => {
  try {
    const now = Date.now();
    const v = gate.check(data, rinfo.address, now);
    if (v !== 'pass') onRefused(now);
    if (v === 'drop') return notifyDrop(gate.lastDrop, rinfo.address, rinfo.port, now);
    const s = v === 'pass' ? shedder.classify(data, now) : 'pass';
    if (s === 'shed') return shed(data, rinfo.address, rinfo.port, now);
    inbox.push(s === 'fresh' ? { v, data, address: rinfo.address, port: rinfo.port, f: 1 } : { v, data, address: rinfo.address, port: rinfo.port });
    if (inbox.length === 1) setImmediate(flushInbox);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'udp ingress: datagram dropped after an internal error');
  }
});

let stopGuard = (): void => undefined;
/** A request the gate did not pass: the flood guard may judge the foreign rate at once. */
let onRefused = (_now: number): void => undefined;
/** The kernel takes over refusing foreign requests while they flood this socket (flood-guard.ts). */
function startGuard(): void {
  const guard = new FloodGuard(socket, admission, init.limits, shared, logger, Date.now(), (on) => {
    shared[PRESSURE.kernelFilter] = on ? 1 : 0;
  });
  admission.onChange = () => guard.allowlistChanged();
  onRefused = (now) => guard.refused(now);
  const timer = setInterval(() => {
    try {
      guard.tick(Date.now());
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'udp ingress: flood guard failed');
    }
  }, FLOOD_TICK_MS);
  timer.unref();
  stopGuard = () => {
    onRefused = () => undefined;
    clearInterval(timer);
    guard.stop();
  };
}

/** One send; a synchronous or asynchronous error goes back for that send only. */
function send(it: SendItem): void {
  try {
    socket.send(it.data, it.port, it.address, (err) => {
      if (err && it.id) post({ t: 'sendfail', id: it.id, message: err.message });
    });
  } catch (err) {
    if (it.id) post({ t: 'sendfail', id: it.id, message: (err as Error).message });
  }
}

parent.on('message', (m: ToWorker) => {
  try {
    if (m.t === 'send') {
      for (const it of m.items) send(it);
    } else if (m.t === 'allow') {
      admission.set(m.allow);
      admission.setForeignAction(m.foreign);
    } else if (m.t === 'close') {
      admission.stop();
      stopGuard();
      socket.close(() => post({ t: 'closed' }));
    }
  } catch (err) {
    logger.error({ err: (err as Error).message, command: m.t }, 'udp ingress: command failed');
  }
});

socket.once('error', (err) => {
  throw err; // before listening: the main thread's listen() rejects with it
});
socket.bind(init.port, init.address, () => {
  socket.removeAllListeners('error');
  socket.on('error', (err) => logger.error({ err: err.message }, 'udp socket error'));
  startGuard();
  post({ t: 'listening', port: socket.address().port, fd: socketFd(socket) ?? -1 });
});
