/**
 * Readings of the running edge for the history: carrier state and score from health, calls up and
 * attempt counters from the carrier registry, crankbacks, setup times and call outcomes from the
 * metrics registry (the one place they are all counted). Read-only: nothing here changes the edge.
 */
import type { TrunkwiseConfig } from '../config/types';
import type { CarrierRegistry } from '../carriers/runtime';
import type { HealthMonitor } from '../health/monitor';
import type { Metrics } from '../observability/metrics';
import type { CarrierReading, CumulativeHistogram, EdgeReading, HistorySource, Reading } from './types';

export interface LiveSourceDeps {
  config(): TrunkwiseConfig;
  carriers: CarrierRegistry;
  health: HealthMonitor;
  metrics: Metrics;
}

/** The state an operator sees: disabled / drained (theirs) win over health's automatic state. */
export function effectiveState(enabled: boolean, manual: string, healthState: string | undefined): string {
  if (!enabled || manual === 'disabled') return 'disabled';
  if (manual === 'drained') return 'drained';
  return healthState ?? 'active';
}

interface HealthView {
  state?: string;
  score?: number;
  probes?: { rttMs?: number | null };
  signals?: Array<{ name: string; value: number }>;
}

export function liveSource(deps: LiveSourceDeps): HistorySource {
  return {
    async read(now: number): Promise<Reading> {
      const [crank, setup, completed] = await Promise.all([
        deps.metrics.crankbacks.get(), deps.metrics.carrierSetupSeconds.get(), deps.metrics.callsCompleted.get(),
      ]);
      const retried = new Map<string, number>();
      for (const v of crank.values) {
        const id = String(v.labels.from_carrier ?? '');
        retried.set(id, (retried.get(id) ?? 0) + v.value);
      }
      const buckets = new Map<string, Array<{ le: number; count: number }>>();
      for (const v of setup.values) {
        if (!v.metricName?.endsWith('_bucket')) continue;
        const id = String(v.labels.carrier ?? '');
        // prom-client adds the bucket bound as an `le` label the declared label set does not name.
        const bound: unknown = (v.labels as Record<string, unknown>).le;
        const le = bound === '+Inf' ? Infinity : Number(bound);
        const list = buckets.get(id) ?? [];
        list.push({ le, count: v.value });
        buckets.set(id, list);
      }
      const outcome = (o: string): number => completed.values.filter((v) => v.labels.outcome === o).reduce((n, v) => n + v.value, 0);
      const edge: EdgeReading = { answered: outcome('answered'), failed: outcome('failed'), cancelled: outcome('cancelled') };
      const carriers: CarrierReading[] = deps.config().carriers.map((c) => {
        const rt = deps.carriers.get(c.id);
        const h = (deps.health.view(c.id, now) ?? {}) as HealthView;
        const media = h.signals?.find((s) => s.name === 'mediaLoss');
        return {
          id: c.id, state: effectiveState(c.enabled, rt?.manual ?? 'in-service', h.state), score: h.score ?? 1, callsUp: rt?.activeCalls ?? 0,
          attempts: rt?.counters.attempts ?? 0, answered: rt?.counters.answered ?? 0, failed: rt?.counters.failed ?? 0, retried: retried.get(c.id) ?? 0,
          setup: toHistogram(buckets.get(c.id)), probeRttMs: h.probes?.rttMs ?? null, rtpLoss: media ? media.value : null,
        };
      });
      return { at: now, carriers, edge };
    },
  };
}

function toHistogram(list: Array<{ le: number; count: number }> | undefined): CumulativeHistogram {
  const sorted = [...(list ?? [])].sort((a, b) => a.le - b.le);
  return { le: sorted.map((b) => b.le), counts: sorted.map((b) => b.count) };
}
