/**
 * The carrier-health test bench: five simulated carriers (src/sim, in this process) on ephemeral
 * loopback ports, trunkwise as a child process probing them, and helpers to read carrier state,
 * events and per-carrier traffic shares from trunkwise's own CDRs.
 */
import { startSimulator, type BehaviourPatch, type Simulator } from '../../src/sim';
import { startTrunkwise, cdrs, type Trunkwise } from './trunkwise-process';

export const IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'] as const;
export const WEIGHTS = [30, 25, 20, 15, 10];

export const routeYaml = (media: 'relay' | 'rtpengine' | 'direct' = 'relay', maxAttempts = 3): string => `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }, { id: carrier-b }, { id: carrier-c }, { id: carrier-d }, { id: carrier-e }]
    strategy: health-weighted
    maxAttempts: ${maxAttempts}
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
    media: ${media}
`;
export const ROUTE = routeYaml();

/** Faster than production so a test sees recovery and ramps in seconds; the scoring is the default. */
export const TEST_HEALTH = '  rampMs: 10000\n  flapWindowMs: 60000';
export const PROBE = '{ enabled: true, intervalMs: 1000, timeoutMs: 800, burst: 3 }';

export interface HealthSystem {
  sim: Simulator;
  tw: Trunkwise;
  carrier(id: string): Promise<CarrierView>;
  carriers(): Promise<{ localFault: boolean; carriers: CarrierView[] }>;
  events(): Promise<HealthEventView[]>;
  /** Wait until `pred` holds for carrier `id` (polled every 200 ms); returns when, or undefined on timeout. */
  waitFor(id: string, pred: (c: CarrierView) => boolean, timeoutMs: number): Promise<number | undefined>;
  /** First-attempt share per carrier of calls that started in [from, to). */
  shares(from: number, to: number): { total: number; share: Record<string, number> };
  stop(): Promise<void>;
}

export interface CarrierView {
  id: string;
  health: { state: string; score: number; rampFactor: number; signals: { name: string; value: number; factor: number }[] };
}

export interface HealthEventView {
  kind: string;
  at: number;
  carrier?: string;
  from?: string;
  to?: string;
  reason: string;
}

export async function startHealthSystem(health = TEST_HEALTH, opts: { route?: string; behaviour?: BehaviourPatch } = {}): Promise<HealthSystem> {
  const sim = await startSimulator({
    carriers: IDS.map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const, ...(opts.behaviour && { behaviour: opts.behaviour }) })), seed: 7,
  });
  const tw = await startTrunkwise({
    carriers: IDS.map((id, i) => ({ id, port: sim.get(id).port, weight: WEIGHTS[i]!, probe: PROBE })),
    routes: { '99-default.yaml': opts.route ?? ROUTE }, health,
  });
  const carriers = async (): Promise<{ localFault: boolean; carriers: CarrierView[] }> => (await tw.admin('GET', '/carriers')).body as { localFault: boolean; carriers: CarrierView[] };
  const carrier = async (id: string): Promise<CarrierView> => (await carriers()).carriers.find((c) => c.id === id)!;
  return {
    sim, tw, carrier, carriers,
    // /events gives ISO times in `at` and epoch ms in `atMs`; the suites compare epoch ms.
    events: async () => ((await tw.admin('GET', '/events')).body as { events: Array<Omit<HealthEventView, 'at'> & { atMs: number }> }).events.map((e) => ({ ...e, at: e.atMs })),
    waitFor: async (id, pred, timeoutMs) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (pred(await carrier(id))) return Date.now();
        await new Promise((r) => setTimeout(r, 200));
      }
      return undefined;
    },
    shares: (from, to) => {
      const calls = cdrs(tw.logs).filter((c) => {
        const at = (c as unknown as { startedAt: number }).startedAt;
        return at >= from && at < to && c.attempts.length > 0;
      });
      const share: Record<string, number> = {};
      for (const id of IDS) share[id] = calls.filter((c) => c.attempts[0]!.carrier === id).length / Math.max(1, calls.length);
      return { total: calls.length, share };
    },
    stop: async () => {
      await tw.stop();
      await sim.stop();
    },
  };
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
