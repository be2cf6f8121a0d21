/**
 * The health snapshot routing ranks from, in config.carriers order: the operator's manual states
 * (disabled, drained) win; otherwise the health monitor's state, score and ramp factor.
 */
import type { TrunkwiseConfig } from '../config/types';
import type { CarrierRegistry } from '../carriers/runtime';
import type { HealthMonitor } from '../health/monitor';
import type { CarrierSnapshot } from '../routing';

export function buildSnapshot(config: TrunkwiseConfig, registry: CarrierRegistry, health: Pick<HealthMonitor, 'snapshot'>, now: number): CarrierSnapshot[] {
  return config.carriers.map((c) => {
    const rt = registry.get(c.id);
    const manual = rt?.manual ?? 'in-service';
    const h = health.snapshot(c.id, now);
    const activeCalls = rt?.activeCalls ?? 0;
    const cpsInLastSecond = registry.cps(c.id, now);
    if (!c.enabled || manual === 'disabled') return { id: c.id, state: 'disabled', score: h?.score ?? 1, activeCalls, cpsInLastSecond };
    if (manual === 'drained') return { id: c.id, state: 'drained', score: h?.score ?? 1, activeCalls, cpsInLastSecond };
    if (!h) return { id: c.id, state: 'active', score: 1, activeCalls, cpsInLastSecond };
    return { id: c.id, state: h.state, score: h.score, rampFactor: h.rampFactor, activeCalls, cpsInLastSecond };
  });
}
