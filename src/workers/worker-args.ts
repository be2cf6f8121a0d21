/**
 * What a worker process is started with: the supervisor's own command line plus overrides (the
 * settings parser takes the last value of an option), and the engine's wire address in DRACHTIO_*.
 * Pure, unit-tested (test/unit/state-workers-args.test.ts).
 */
import type { HostPort } from '../app/settings';

export const WORKER_INDEX_ENV = 'TRUNKWISE_WORKER_INDEX';

export interface WorkerPlan {
  index: number;
  count: number;
  argv: readonly string[];
  http: HostPort;
  redisUrl: string;
  rtpPorts: { min: number; max: number };
  wire: { host: string; port: number; secret: string };
}

/**
 * Worker i's share of the RTP port range: equal even-aligned slices, so two relays never race for
 * the same port pair (the last worker takes the remainder).
 */
export function rtpSlice(range: { min: number; max: number }, index: number, count: number): { min: number; max: number } {
  const size = Math.floor((range.max - range.min + 1) / count / 2) * 2;
  if (size < 4) throw new Error(`--rtp-ports ${range.min}-${range.max} is too small for ${count} workers (each needs at least two port pairs)`);
  const min = range.min + index * size;
  return { min, max: index === count - 1 ? range.max : min + size - 1 };
}

/** Worker i answers the admin API on the configured port + i (worker 0 on the configured one). */
export function workerHttp(http: HostPort, index: number): HostPort {
  if (http.port + index > 65535) throw new Error(`--http port ${http.port} + ${index} workers is above 65535`);
  return { host: http.host, port: http.port === 0 ? 0 : http.port + index };
}

export function workerArgv(p: WorkerPlan): string[] {
  const host = p.http.host.includes(':') ? `[${p.http.host}]` : p.http.host;
  return [
    ...p.argv,
    '--workers', '1', '--engine', 'external', '--redis', p.redisUrl,
    '--http', `${host}:${p.http.port}`, '--rtp-ports', `${p.rtpPorts.min}-${p.rtpPorts.max}`,
  ];
}

export function workerEnv(base: NodeJS.ProcessEnv, p: WorkerPlan): NodeJS.ProcessEnv {
  return {
    ...base,
    DRACHTIO_HOST: p.wire.host, DRACHTIO_PORT: String(p.wire.port), DRACHTIO_SECRET: p.wire.secret,
    [WORKER_INDEX_ENV]: String(p.index),
  };
}
