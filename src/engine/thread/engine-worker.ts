/**
 * The engine thread's own file (started by engine-thread.ts): one SipEngine, its log lines posted
 * to the owner, its application links arriving as MessagePorts, its stats answered on request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SipEngine } from '../core/engine';
import type { EngineLogger } from '../logger';
import { sharedLagReader } from '../transport/loop-lag';
import { PortLinkEnd } from './port-link';
import type { EngineThreadInit, FromEngine, LogLevel, ToEngine } from './protocol';

const init = workerData as EngineThreadInit;
const owner = parentPort!;

function post(m: FromEngine): void {
  owner.postMessage(m);
}

function line(level: LogLevel, obj: object, msg: string | undefined): void {
  try {
    post({ t: 'log', level, obj, msg });
  } catch {
    // Something in obj cannot be cloned (a function, a socket): the line still goes, as text.
    post({ t: 'log', level, obj: { detail: safeText(obj) }, msg });
  }
}

function safeText(obj: object): string {
  try {
    return JSON.stringify(obj);
  } catch {
    return String(obj);
  }
}

const logger: EngineLogger = {
  debug: (obj, msg) => {
    if (init.debug) line('debug', obj, msg);
  },
  info: (obj, msg) => line('info', obj, msg),
  warn: (obj, msg) => line('warn', obj, msg),
  error: (obj, msg) => line('error', obj, msg),
};

const engine = new SipEngine({ ...init.options, logger, appLag: sharedLagReader(new Float64Array(init.appBeat)) });

owner.on('message', (m: ToEngine) => {
  switch (m.t) {
    case 'link':
      engine.acceptLink(new PortLinkEnd(m.port));
      break;
    case 'allow':
      try {
        engine.setAllowlist(m.allow);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'engine allowlist not updated; the previous one stays in force');
      }
      break;
    case 'query':
      post({ t: 'answer', id: m.id, value: m.what === 'stats' ? engine.stats() : engine.gauges() });
      break;
    case 'stop':
      void engine.stop().catch((err: Error) => logger.error({ err: err.message }, 'engine stop failed')).finally(() => {
        post({ t: 'stopped' });
        owner.close();
      });
      break;
    default:
      break;
  }
});

engine.start().then((addresses) => post({ t: 'started', addresses }), (err: Error) => post({ t: 'failed', message: err.message }));
