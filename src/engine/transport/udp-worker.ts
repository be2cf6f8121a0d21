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
const gate = new IngressGate(init.limits, admission, new Float64Array(init.counters));
const lastDrop = new Map<DropReason, number>();

/** Datagrams admitted in this event-loop turn, posted to the main thread as one message. */
let inbox: InItem[] = [];
function flushInbox(): void {
  const items = inbox;
  inbox = [];
  if (items.length) post({ t: 'in', items });
}

const socket = dgram.createSocket({ type: net.isIPv6(init.address) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });

socket.on('message', (data, rinfo) => {
  try {
    const v = gate.check(data, rinfo.address, Date.now());
    if (v !== 'drop') {
      inbox.push({ v, data, address: rinfo.address, port: rinfo.port });
      if (inbox.length === 1) setImmediate(flushInbox);
      return;
    }
    // A flood must not become a message flood to the main thread: one notice per reason per second.
    const now = Date.now();
    if (now - (lastDrop.get(gate.lastDrop) ?? 0) < 1000) return;
    lastDrop.set(gate.lastDrop, now);
    post({ t: 'drop', reason: gate.lastDrop, address: rinfo.address, port: rinfo.port });
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'udp ingress: datagram dropped after an internal error');
  }
});

/** One send; a synchronous or asynchronous error goes back for that send only. */
function send(it: SendItem): void {
  try {
    socket.send(it.data, it.port, it.address, (err) => {
      if (err) post({ t: 'sendfail', id: it.id, message: err.message });
    });
  } catch (err) {
    post({ t: 'sendfail', id: it.id, message: (err as Error).message });
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
  post({ t: 'listening', port: socket.address().port });
});
