/** The state store: `memory` (default) or `redis` when a URL is given. */
import { MemoryStore } from './memory';
import { RedisStore } from './redis';
import type { StateStore } from './types';

export type { StateStore, StoreStatus, Lease, Caps, AcquireResult, Observation, StampedObservation, PublishedSnapshot, CarrierHealth, StoredEvent, ManualState } from './types';
export { MemoryStore, MemoryState } from './memory';
export { RedisStore } from './redis';

/** A store for this process; with Redis, waits up to 2 s for it to answer (else starts degraded). */
export async function openStore(redisUrl: string | undefined, opts: { origin?: string; leaseMs?: number } = {}): Promise<StateStore> {
  if (!redisUrl) return new MemoryStore(undefined, opts);
  const s = new RedisStore(redisUrl, opts);
  await s.ready(2000);
  return s;
}
