/**
 * Carrier caps (maxConcurrent, maxCps from carriers.yaml) enforced through the state store: a slot
 * is taken before an attempt's INVITE and released when the attempt fails or the call ends — so
 * every edge and worker together stay under the cap (Redis), or this process does (memory, or
 * Redis unreachable). Uncapped carriers cost nothing.
 */
import type { CarrierSlot } from '../call/session';
import type { TrunkwiseConfig } from '../config/types';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { StateStore } from '../state';

/**
 * A slot is freed this long after its call or attempt ended: our BYE (or CANCEL) must reach the
 * carrier before another edge's INVITE takes the slot, or the carrier briefly sees cap + 1.
 */
export const RELEASE_GRACE_MS = 250;

export function capAdmitter(store: StateStore, config: () => TrunkwiseConfig, metrics: Metrics, logger: Logger): (carrier: string) => Promise<CarrierSlot> {
  const free: CarrierSlot = { ok: true, release: () => undefined };
  return async (carrier) => {
    const c = config().carrierById[carrier];
    if (c?.maxConcurrent === undefined && c?.maxCps === undefined) return free;
    const r = await store.acquire(carrier, { ...(c.maxConcurrent !== undefined && { maxConcurrent: c.maxConcurrent }), ...(c.maxCps !== undefined && { maxCps: c.maxCps }) });
    if (!r.ok) {
      metrics.carrierCapRefusals.inc({ carrier, reason: r.reason });
      return r;
    }
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        setTimeout(() => {
          store.release(r.lease).catch((err: Error) => logger.debug({ carrier, err: err.message }, 'cap slot release failed; its lease expires'));
        }, RELEASE_GRACE_MS).unref();
      },
    };
  };
}
