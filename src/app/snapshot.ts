/**
 * The health snapshot routing ranks from, in config.carriers order. Until the health scorer lands
 * (issue 4) every in-service carrier is 'active' with score 1; operator drains and disables apply.
 */
import type { TrunkwiseConfig } from '../config/types';
import type { CarrierRegistry } from '../carriers/runtime';
import type { CarrierSnapshot } from '../routing';

export function buildSnapshot(config: TrunkwiseConfig, registry: CarrierRegistry, now: number): CarrierSnapshot[] {
  return config.carriers.map((c) => {
    const rt = registry.get(c.id);
    const manual = rt?.manual ?? 'in-service';
    const state = !c.enabled || manual === 'disabled' ? 'disabled' : manual === 'drained' ? 'drained' : 'active';
    return { id: c.id, state, score: 1, activeCalls: rt?.activeCalls ?? 0, cpsInLastSecond: registry.cps(c.id, now) };
  });
}
