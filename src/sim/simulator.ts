/**
 * startSimulator(): N simulated carriers (plus, optionally, the HTTP control API) in this process.
 * Many simulators may run side by side (port 0 everywhere); stop() leaves no socket or timer behind.
 */
import pino, { type Logger } from 'pino';
import { validatePatch, type Behaviour } from './behaviour';
import { SimCarrier, type CarrierInfo, type CarrierSpec } from './carrier';
import { SimError } from './errors';
import { startControlApi, type ControlApi } from './http-api';
import type { MediaFactory } from './media';
import { rtpMedia, type RtpMediaOptions } from './rtp/factory';
import type { CarrierStats } from './stats';
import { DEFAULT_TIMINGS, type SimTimings } from './timers';

export interface SimulatorOptions {
  carriers: CarrierSpec[];
  /** Control API; omit for none. Port 0 = ephemeral. Bind to loopback unless you mean it. */
  http?: { host: string; port: number };
  logger?: Logger;
  /** PRNG seed for dropPercent (carrier i uses seed + i). Default: random. */
  seed?: number;
  /** Override RFC 3261 timer values (tests shorten them). */
  timings?: Partial<SimTimings>;
  /**
   * RTP hook. Default: rtpMedia(rtp) — carriers with `rtp: off` (the default) advertise a port and open
   * no socket; `rtp: echo|send` carriers get real RTP sockets.
   */
  media?: MediaFactory;
  /** Address and port range of the default RTP factory (ignored when `media` is given). */
  rtp?: RtpMediaOptions;
  /** Per-carrier cap on calls held in memory; beyond it new INVITEs get 503. Default 20000. */
  maxCallsPerCarrier?: number;
}

export interface Simulator {
  readonly ids: readonly string[];
  /** Control API address, when started with `http`. */
  readonly http: { host: string; port: number } | undefined;
  /** Validate and apply a behaviour patch (throws SimError SIM_BAD_PATCH / SIM_UNKNOWN_CARRIER). */
  set(id: string, patch: unknown): Behaviour;
  get(id: string): CarrierInfo;
  list(): CarrierInfo[];
  stats(id: string): CarrierStats;
  /** Reset counters of one carrier, or of all. */
  resetStats(id?: string): void;
  stop(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  checkSpecs(opts.carriers);
  const logger = opts.logger ?? pino({ level: 'silent' });
  const timings: SimTimings = { ...DEFAULT_TIMINGS, ...opts.timings };
  const media = opts.media ?? rtpMedia(opts.rtp);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const carriers = new Map<string, SimCarrier>();
  let api: ControlApi | undefined;
  const stopAll = async (): Promise<void> => {
    await api?.close();
    await Promise.all([...carriers.values()].map((c) => c.stop()));
  };
  try {
    for (const [i, spec] of opts.carriers.entries()) {
      const c = new SimCarrier(spec, { logger, timings, media, seed: seed + i, maxCalls: opts.maxCallsPerCarrier ?? 20_000 });
      carriers.set(spec.id, c);
      await c.start();
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const carrier = (id: string): SimCarrier => {
    const c = carriers.get(id);
    if (!c) throw new SimError('SIM_UNKNOWN_CARRIER', `unknown carrier "${id}" (known: ${[...carriers.keys()].join(', ')})`);
    return c;
  };
  let stopped = false;
  const sim: Simulator = {
    ids: Object.freeze([...carriers.keys()]),
    http: undefined,
    set: (id, patch) => {
      const c = carrier(id);
      const v = validatePatch(patch);
      if (!v.ok) throw new SimError('SIM_BAD_PATCH', `invalid behaviour patch for "${id}"`, v.errors);
      return c.set(v.patch);
    },
    get: (id) => carrier(id).info(),
    list: () => [...carriers.values()].map((c) => c.info()),
    stats: (id) => carrier(id).stats(),
    resetStats: (id) => {
      if (id !== undefined) carrier(id).resetStats();
      else for (const c of carriers.values()) c.resetStats();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
      logger.info('simulator stopped');
    },
  };
  if (opts.http) {
    try {
      api = await startControlApi(sim, opts.http, logger);
    } catch (err) {
      await stopAll();
      throw err;
    }
    return { ...sim, http: api.address };
  }
  return sim;
}

function checkSpecs(specs: CarrierSpec[]): void {
  const errors: string[] = [];
  const seen = new Set<string>();
  specs.forEach((s, i) => {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(s.id)) errors.push(`carriers[${i}].id "${s.id}" must be 1–64 of A-Z a-z 0-9 . _ -`);
    if (seen.has(s.id)) errors.push(`carriers[${i}].id "${s.id}" is a duplicate`);
    seen.add(s.id);
    if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) errors.push(`carriers[${i}].port ${s.port} must be 0–65535`);
    if (!['udp', 'tcp', 'both'].includes(s.transport)) errors.push(`carriers[${i}].transport must be udp|tcp|both`);
    if (s.behaviour !== undefined) {
      const v = validatePatch(s.behaviour);
      if (!v.ok) errors.push(...v.errors.map((e) => `carriers[${i}].behaviour.${e}`));
    }
  });
  if (specs.length === 0) errors.push('no carriers given');
  if (errors.length) throw new SimError('SIM_BAD_SPEC', 'invalid simulator options', errors);
}
