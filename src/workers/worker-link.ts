/**
 * A worker's side of the supervisor (src/workers/supervisor.ts): its index, a "ready" message once
 * it serves calls, a "reloaded" message after an admin reload (so the whole host reloads), and an exit when the supervisor is gone (its IPC channel closes — even on a
 * SIGKILL), so no worker outlives the engine it was connected to.
 */
import { WORKER_INDEX_ENV } from './worker-args';

export interface WorkerLink {
  readonly index: number;
  ready(): void;
  /** This worker reloaded its configuration (POST /reload): the supervisor reloads the engine and every other worker. */
  reloaded(): void;
}

export type SupervisorMessage = { kind: 'ready'; index: number; pid: number } | { kind: 'reloaded'; index: number };

export function workerLink(env: NodeJS.ProcessEnv, onSupervisorGone: () => void): WorkerLink | undefined {
  const raw = env[WORKER_INDEX_ENV];
  if (raw === undefined || typeof process.send !== 'function') return undefined;
  const index = Number(raw);
  process.on('disconnect', onSupervisorGone);
  // The channel must not keep a draining worker alive, nor a finished one.
  process.channel?.unref();
  return {
    index,
    ready: () => {
      const m: SupervisorMessage = { kind: 'ready', index, pid: process.pid };
      process.send?.(m);
    },
    reloaded: () => {
      const m: SupervisorMessage = { kind: 'reloaded', index };
      process.send?.(m);
    },
  };
}
