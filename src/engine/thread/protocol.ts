/** Messages between the engine thread (engine-worker.ts) and its owner (engine-thread.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { EngineAddresses, EngineOptions, EngineStats, SipEngine } from '../core/engine';

/** What the thread is started with: the engine's options without the logger (lines come back as messages). */
export interface EngineThreadInit {
  options: Omit<EngineOptions, 'logger' | 'appLag'>;
  /** Debug lines are posted only when the owner's logger would write them. */
  debug: boolean;
  /** The owner thread's published heartbeat (loop-lag.ts LoopLag board): its lag counts as the engine's. */
  appBeat: SharedArrayBuffer;
}

export type EngineGauges = ReturnType<SipEngine['gauges']>;

export type Query = 'stats' | 'gauges';

export type ToEngine =
  | { t: 'link'; port: MessagePort }
  | { t: 'allow'; allow: readonly string[] | undefined }
  | { t: 'query'; id: number; what: Query }
  | { t: 'stop' };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type FromEngine =
  | { t: 'started'; addresses: EngineAddresses }
  | { t: 'failed'; message: string }
  | { t: 'log'; level: LogLevel; obj: object; msg: string | undefined }
  | { t: 'answer'; id: number; value: EngineStats | EngineGauges }
  | { t: 'stopped' };
