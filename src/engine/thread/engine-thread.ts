/**
 * The embedded engine on a thread of its own. In one thread the engine (transports, parsing,
 * transactions, dialogs, wire framing) and the app (drachtio-srf's parser, routing, health, media)
 * take turns on one event loop; under load it saturates and every message waits for the others —
 * that queueing, not any one function, is the edge's tail latency. Here the engine has its own
 * loop and srf talks to it over a MessagePort link carrying drachtio's wire protocol unchanged.
 *
 * The owner sees the SipEngine surface it used: start, connectLocal (a net.Socket for connectSrf),
 * setAllowlist (validated here, so a bad entry still throws in the caller), stats and gauges (now
 * answered by message, so async), stop. The engine's log lines come back through the owner's logger.
 * The owner publishes its event-loop heartbeat in shared memory: a lagging app counts as a lagging
 * engine, which then sheds new calls exactly as when both shared one loop.
 *
 * If the thread dies (an exception nothing caught) every transaction and dialog it held is gone and
 * srf's link with it: onFatal is called, and the owner should end the process so that its
 * supervisor restarts the whole edge rather than run without SIP.
 */
import path from 'node:path';
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { EngineAddresses, EngineOptions, EngineStats } from '../core/engine';
import type { EngineLogger } from '../logger';
import { parseAllowEntry } from '../transport/admission';
import { LAG_BOARD_SLOTS, LoopLag, LOOP_LAG_INTERVAL_MS, wallClock } from '../transport/loop-lag';
import { startWorkerFile } from '../worker-file';
import { PortLinkEnd } from './port-link';
import type { EngineGauges, EngineThreadInit, FromEngine, Query, ToEngine } from './protocol';

export type { EngineGauges } from './protocol';

export interface EngineThreadOptions extends Omit<EngineOptions, 'logger' | 'appLag'> {
  logger: EngineLogger;
  /** Post the engine's debug lines (off unless the owner's logger writes debug). */
  debug?: boolean;
  /** The thread died: nothing of the engine is left (see the header). */
  onFatal: (err: Error) => void;
}

export class EngineThread {
  private worker: Worker | undefined;
  private readonly beat: LoopLag;
  private readonly beatBoard = new SharedArrayBuffer(LAG_BOARD_SLOTS * Float64Array.BYTES_PER_ELEMENT);
  private nextQuery = 1;
  private readonly queries = new Map<number, { resolve: (v: EngineStats | EngineGauges) => void; reject: (err: Error) => void }>();
  private stopping: Promise<void> | undefined;
  private stopped: (() => void) | undefined;

  constructor(private readonly opts: EngineThreadOptions) {
    this.beat = new LoopLag(LOOP_LAG_INTERVAL_MS, wallClock, new Float64Array(this.beatBoard));
  }

  start(): Promise<EngineAddresses> {
    const { logger, debug, onFatal: _onFatal, ...options } = this.opts;
    const init: EngineThreadInit = { options, debug: debug === true, appBeat: this.beatBoard };
    const worker = startWorkerFile(__dirname, path.extname(__filename), 'engine-worker', init);
    this.worker = worker;
    this.beat.start();
    return new Promise((resolve, reject) => {
      let up = false;
      worker.on('message', (m: FromEngine) => {
        switch (m.t) {
          case 'started':
            up = true;
            return resolve(m.addresses);
          case 'failed':
            reject(new Error(m.message));
            return void worker.terminate(); // nothing listens: the thread must not outlive the failed start
          case 'log':
            return logger[m.level](m.obj, m.msg);
          case 'answer':
            this.queries.get(m.id)?.resolve(m.value);
            this.queries.delete(m.id);
            return;
          case 'stopped':
            return this.stopped?.();
          default:
            return;
        }
      });
      worker.on('error', (err) => {
        if (!up) return reject(err);
        logger.error({ err: err.stack ?? err.message }, 'engine thread failed');
      });
      worker.on('exit', (code) => {
        this.worker = undefined;
        this.beat.stop();
        const gone = new Error(`engine thread exited (${code})`);
        for (const q of this.queries.values()) q.reject(gone);
        this.queries.clear();
        this.stopped?.();
        if (!up) return reject(gone);
        if (!this.stopping) this.opts.onFatal(gone);
      });
    });
  }

  /** An application link to the engine, for connectSrf's `local` (it emits 'connect' on the next turn). */
  connectLocal(): PortLinkEnd {
    const { port1, port2 } = new MessageChannel();
    if (!this.post({ t: 'link', port: port2 }, [port2])) throw new Error('engine thread not running');
    return new PortLinkEnd(port1).announceConnect();
  }

  /** Replace the allowed sources; an invalid entry throws AllowlistError here and the old list stays. */
  setAllowlist(allow: readonly string[] | undefined): void {
    allow?.forEach(parseAllowEntry);
    this.post({ t: 'allow', allow: allow ? [...allow] : undefined });
  }

  stats(): Promise<EngineStats> {
    return this.query('stats') as Promise<EngineStats>;
  }

  gauges(): Promise<EngineGauges> {
    return this.query('gauges') as Promise<EngineGauges>;
  }

  /** Stop the engine (its sockets close, the wire links drop) and end the thread. */
  stop(): Promise<void> {
    this.stopping ??= this.stopThread();
    return this.stopping;
  }

  private async stopThread(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    this.post({ t: 'stop' });
    const timer = setTimeout(() => this.stopped?.(), 5000);
    await done;
    clearTimeout(timer);
    await worker.terminate(); // its 'exit' stops the heartbeat
  }

  private query(what: Query): Promise<EngineStats | EngineGauges> {
    return new Promise((resolve, reject) => {
      const id = this.nextQuery++;
      this.queries.set(id, { resolve, reject });
      if (!this.post({ t: 'query', id, what })) {
        this.queries.delete(id);
        reject(new Error('engine thread not running'));
      }
    });
  }

  private post(m: ToEngine, transfer?: Parameters<Worker['postMessage']>[1]): boolean {
    if (!this.worker) return false;
    this.worker.postMessage(m, transfer);
    return true;
  }
}
