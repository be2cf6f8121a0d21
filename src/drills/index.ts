/** Drills wired to a running edge: its counters (prom-client), its carriers' operator states. */
import type { CarrierRegistry } from '../carriers/runtime';
import type { Logger } from '../observability/logger';
import { createDrillMetrics, type Metrics } from '../observability/metrics';
import { drillRoutes } from './admin-routes';
import { Drills } from './registry';
import type { AdminExtension } from '../admin/server';

export function createDrills(deps: {
  metrics: Metrics; carriers: CarrierRegistry; logger: Logger;
  /** Carrier states now (the routing snapshot). */
  states(): ReadonlyArray<{ id: string; state: string }>;
}): { drills: Drills; routes: AdminExtension } {
  const { metrics, carriers } = deps;
  const drills = new Drills({
    metrics: createDrillMetrics(metrics.registry), logger: deps.logger,
    counters: async () => {
      const attempts: Record<string, number> = {};
      for (const c of carriers.all()) attempts[c.id] = 0;
      for (const v of (await metrics.carrierAttempts.get()).values) if (v.labels.carrier !== undefined) attempts[String(v.labels.carrier)] = v.value;
      const failed = (await metrics.callsCompleted.get()).values.filter((v) => v.labels.outcome === 'failed').reduce((n, v) => n + v.value, 0);
      return { attempts, failed };
    },
    manual: (id) => carriers.get(id)?.manual,
    usableOthers: (id) => deps.states().filter((c) => c.id !== id && (c.state === 'active' || c.state === 'degraded')).length,
    setManual: (id, state) => void carriers.setManual(id, state),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  return { drills, routes: drillRoutes(drills) };
}
