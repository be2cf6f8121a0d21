/**
 * `--workers N` (N > 1): this process runs the SIP engine (embedded, or none when an external
 * drachtio-server is configured) and N app processes connected to it over the drachtio wire
 * protocol, as several srf apps connect to one drachtio-server: the engine hands new INVITEs to the
 * apps in turn and in-dialog requests to the app that owns the dialog. Shared state (caps, health,
 * drains, events) goes through Redis: `--redis`, or a redis-server started here (local-redis.ts).
 *
 * Workers: worker i answers the admin API on the --http port + i and relays RTP in its slice of
 * --rtp-ports; its log lines carry `worker: i`. A worker that dies is restarted after 1 s (the
 * engine stops offering it calls the moment its connection closes; its cap slots free within the
 * lease); more than 5 deaths in a minute and that worker is left down.
 *
 * Signals: SIGTERM / SIGINT are passed to every worker (each drains: 503 to new calls, up to 30 s
 * for calls up, then BYE), then the engine and our redis-server stop, then this process exits.
 * SIGHUP reloads here (the engine's allowlist) and in every worker. Workers are in their own process
 * group (a terminal's Ctrl-C reaches only us, so they see one signal, not two) and exit by
 * themselves if this process is killed outright (worker-link.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ConfigHolder } from '../app/config-holder';
import { startEngineIfEmbedded, type EmbeddedEngine } from '../app/embedded-engine';
import type { Secrets, Settings } from '../app/settings';
import type { Logger } from '../observability/logger';
import { startLocalRedis, type LocalRedis } from './local-redis';
import { rtpSlice, workerArgv, workerEnv, workerHttp, type WorkerPlan } from './worker-args';
import type { SupervisorMessage } from './worker-link';

const RESTART_DELAY_MS = 1000;
const CRASH_WINDOW_MS = 60_000;
const CRASH_LIMIT = 5;
const READY_TIMEOUT_MS = 60_000;

export interface SupervisorDeps {
  settings: Settings;
  secrets: Secrets;
  /** Our own command line (after the script), handed on to every worker with overrides. */
  argv: readonly string[];
  config: ConfigHolder;
  logger: Logger;
}

interface Slot {
  readonly index: number;
  child: ChildProcess | undefined;
  crashes: number[];
  ready: boolean;
}

export async function runSupervisor(d: SupervisorDeps): Promise<void> {
  const { settings, secrets, logger, config } = d;
  const n = settings.workers;
  let redis: LocalRedis | undefined;
  let engine: EmbeddedEngine | undefined;
  let stopping = false;
  const slots: Slot[] = Array.from({ length: n }, (_, index) => ({ index, child: undefined, crashes: [], ready: false }));

  const cleanup = async (): Promise<void> => {
    if (engine) await engine.stop().catch(() => undefined);
    if (redis) await redis.stop().catch(() => undefined);
  };
  try {
    if (!settings.redis) {
      redis = await startLocalRedis();
      logger.info({ event: 'local-redis', url: redis.url, pid: redis.pid, dir: redis.dir }, `${n} workers share state through a local redis-server (no --redis given)`);
    }
    const engineStart = await startEngineIfEmbedded(settings, secrets, config, logger);
    engine = engineStart.engine;
    const wire = engineStart.wire;
    const redisUrl = settings.redis ?? redis!.url;
    const plan = (index: number): WorkerPlan => ({
      index, count: n, argv: d.argv, http: workerHttp(settings.http, index), redisUrl, rtpPorts: rtpSlice(settings.media.portRange, index, n), wire,
    });
    // Checked before anything is spawned: a bad plan (too few RTP ports) is a start-up error.
    const plans = slots.map((s) => plan(s.index));

    let readyCount = 0;
    let startupFailed: ((err: Error) => void) | undefined;
    let allReady: (() => void) | undefined;
    const started = new Promise<void>((resolve, reject) => {
      allReady = resolve;
      startupFailed = reject;
    });
    const launch = (slot: Slot): void => {
      const p = plans[slot.index]!;
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...workerArgv(p)], {
        env: workerEnv(process.env, p), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true,
      });
      slot.child = child;
      slot.ready = false;
      logger.info({ event: 'worker', worker: slot.index, pid: child.pid, http: `${p.http.host}:${p.http.port}` }, `worker ${slot.index} started`);
      child.on('message', (m: SupervisorMessage) => {
        if (m?.kind === 'reloaded') {
          // POST /reload reached one worker (the --http port's): the engine and the others follow.
          logger.info({ event: 'reload', worker: slot.index }, `worker ${slot.index} reloaded its configuration: the engine and the other workers reload too`);
          config.reload();
          for (const s of slots) if (s !== slot) s.child?.kill('SIGHUP');
          return;
        }
        if (m?.kind !== 'ready' || slot.ready) return;
        slot.ready = true;
        logger.info({ event: 'worker', worker: slot.index, pid: child.pid, ready: true }, `worker ${slot.index} ready`);
        if (++readyCount === n) allReady?.();
      });
      child.on('exit', (code, signal) => {
        if (slot.child === child) slot.child = undefined;
        if (stopping) return;
        const wasReady = slot.ready;
        slot.ready = false;
        if (startupFailed) return startupFailed(new Error(`worker ${slot.index} exited during start-up (${signal ?? `exit ${code}`})`));
        if (wasReady) readyCount--;
        const now = Date.now();
        slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
        const giveUp = slot.crashes.length > CRASH_LIMIT;
        logger.error({ event: 'worker', worker: slot.index, pid: child.pid, code, signal, restart: !giveUp },
          giveUp ? `worker ${slot.index} died ${slot.crashes.length} times in a minute: left down` : `worker ${slot.index} died (${signal ?? `exit ${code}`}): the engine offers its new calls to the others; restarting it in 1 s`);
        if (!giveUp) {
          setTimeout(() => {
            if (!stopping) launch(slot);
          }, RESTART_DELAY_MS);
        } else if (slots.every((s) => !s.child)) {
          logger.fatal('no worker left: stopping');
          void shutdown('no-workers', 1);
        }
      });
    };

    const shutdown = async (why: string, code: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      const live = slots.map((s) => s.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
      logger.info({ event: 'stopping', reason: why, workers: live.length }, `stopping: ${live.length} workers drain, then the engine stops`);
      await Promise.all(live.map((c) => new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill(why === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
      })));
      await cleanup();
      process.exit(code);
    };
    let lastSignal = 0;
    const onSignal = (sig: 'SIGTERM' | 'SIGINT'): void => {
      if (!stopping) {
        lastSignal = Date.now();
        return void shutdown(sig, 0);
      }
      // A second signal: the workers end their calls now (their drain's "second signal").
      if (Date.now() - lastSignal < 200) return;
      lastSignal = Date.now();
      for (const s of slots) s.child?.kill(sig);
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGHUP', () => {
      config.reload();
      for (const s of slots) s.child?.kill('SIGHUP');
    });

    for (const s of slots) launch(s);
    const timeout = setTimeout(() => startupFailed?.(new Error(`workers not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    try {
      await started;
    } catch (err) {
      stopping = true;
      for (const s of slots) s.child?.kill('SIGKILL');
      await Promise.all(slots.map((s) => (s.child ? new Promise<void>((r) => s.child!.once('exit', () => r())) : undefined)));
      throw err;
    } finally {
      clearTimeout(timeout);
    }
    startupFailed = undefined;
    logger.info({ workers: n, pids: slots.map((s) => s.child?.pid), sip: settings.sip, http: settings.http, redis: redis ? 'local' : 'external', engine: settings.engine }, 'trunkwise ready');
  } catch (err) {
    await cleanup();
    throw err;
  }
}
