/**
 * The in-process backend (the default: one trunkwise process, as before the store existed). One
 * `MemoryState` holds the data; each `MemoryStore` is one process's view of it, so the contract
 * tests can run two "processes" against one memory backend exactly as against one Redis.
 */
import { randomBytes } from 'node:crypto';
import { HeldLeases } from './held';
import type {
  AcquireResult, Caps, Lease, ManualState, Observation, PublishedSnapshot, StampedObservation, StateStore, StoredEvent, StoreStatus,
} from './types';

export const EVENT_LIMIT = 1000;

export class MemoryState {
  readonly calls = new Map<string, Map<string, number>>();
  readonly starts = new Map<string, number[]>();
  readonly snapshots = new Map<string, PublishedSnapshot>();
  readonly manual = new Map<string, ManualState>();
  events: StoredEvent[] = [];
  readonly leaders = new Map<string, { who: string; until: number }>();
  readonly listeners = new Map<string, ((o: StampedObservation) => void)[]>();

  /** Live leases on `carrier` at `now` (expired ones dropped). */
  live(carrier: string, now: number): Map<string, number> {
    let m = this.calls.get(carrier);
    if (!m) this.calls.set(carrier, (m = new Map()));
    for (const [id, until] of m) if (until <= now) m.delete(id);
    return m;
  }

  startsInLastSecond(carrier: string, now: number): number[] {
    const s = (this.starts.get(carrier) ?? []).filter((t) => now - t < 1000);
    this.starts.set(carrier, s);
    return s;
  }
}

export interface StoreOptions {
  /** How long a call slot outlives its process's last renewal (default 15 s). */
  leaseMs?: number;
  /** This process's name (default: random). */
  origin?: string;
}

export class MemoryStore implements StateStore {
  readonly backend = 'memory' as const;
  readonly origin: string;
  private readonly leaseMs: number;
  private readonly held: HeldLeases;
  private readonly since = Date.now();
  private closed = false;
  private readonly renewTimer: NodeJS.Timeout;
  private readonly mine: { site: string; cb: (o: StampedObservation) => void }[] = [];

  constructor(private readonly state = new MemoryState(), opts: StoreOptions = {}) {
    this.origin = opts.origin ?? `p-${randomBytes(4).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.held = new HeldLeases(this.origin);
    this.renewTimer = setInterval(() => this.renew(Date.now()), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  status(): StoreStatus {
    return { backend: 'memory', reachable: true, since: this.since };
  }

  onStatus(): void {
    /* always reachable */
  }

  async acquire(carrier: string, caps: Caps): Promise<AcquireResult> {
    const now = Date.now();
    const live = this.state.live(carrier, now);
    if (caps.maxConcurrent !== undefined && live.size >= caps.maxConcurrent) return { ok: false, reason: 'max-concurrent' };
    const starts = this.state.startsInLastSecond(carrier, now);
    if (caps.maxCps !== undefined && starts.length >= caps.maxCps) return { ok: false, reason: 'max-cps' };
    const lease = this.held.newLease(carrier);
    live.set(lease.id, now + this.leaseMs);
    starts.push(now);
    this.held.add(lease, now);
    return { ok: true, lease };
  }

  async release(lease: Lease): Promise<void> {
    this.held.remove(lease);
    this.state.calls.get(lease.carrier)?.delete(lease.id);
  }

  async inUse(carrier: string): Promise<number> {
    return this.state.live(carrier, Date.now()).size;
  }

  observe(site: string, o: Observation): void {
    if (this.closed) return;
    const stamped: StampedObservation = { ...o, origin: this.origin };
    for (const cb of this.state.listeners.get(site) ?? []) queueMicrotask(() => cb(stamped));
  }

  async onObservation(site: string, cb: (o: StampedObservation) => void): Promise<void> {
    const own = (o: StampedObservation): void => {
      if (!this.closed && o.origin !== this.origin) cb(o);
    };
    this.mine.push({ site, cb: own });
    const l = this.state.listeners.get(site) ?? [];
    l.push(own);
    this.state.listeners.set(site, l);
  }

  async publish(s: PublishedSnapshot): Promise<void> {
    this.state.snapshots.set(s.site, s);
  }

  async snapshot(site: string): Promise<PublishedSnapshot | undefined> {
    return this.state.snapshots.get(site);
  }

  async sites(): Promise<string[]> {
    return [...this.state.snapshots.keys()].sort();
  }

  async setManual(carrier: string, state: ManualState): Promise<void> {
    if (state === 'in-service') this.state.manual.delete(carrier);
    else this.state.manual.set(carrier, state);
  }

  async manual(): Promise<Record<string, ManualState>> {
    return Object.fromEntries(this.state.manual);
  }

  async addEvent(e: StoredEvent): Promise<void> {
    this.state.events.push(e);
    if (this.state.events.length > EVENT_LIMIT * 2) this.state.events = this.state.events.slice(-EVENT_LIMIT);
  }

  async events(limit: number): Promise<StoredEvent[]> {
    return this.state.events.slice(-Math.min(limit, EVENT_LIMIT));
  }

  async lead(site: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const cur = this.state.leaders.get(site);
    if (cur && cur.until > now && cur.who !== this.origin) return false;
    this.state.leaders.set(site, { who: this.origin, until: now + ttlMs });
    return true;
  }

  async resign(site: string): Promise<void> {
    if (this.state.leaders.get(site)?.who === this.origin) this.state.leaders.delete(site);
  }

  /** Stops renewing (held leases then expire, as a crashed process's would) and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const { site, cb } of this.mine) this.state.listeners.set(site, (this.state.listeners.get(site) ?? []).filter((x) => x !== cb));
  }

  private renew(now: number): void {
    for (const [carrier, ids] of this.held.entries()) {
      const m = this.state.live(carrier, now);
      for (const id of ids) m.set(id, now + this.leaseMs);
    }
  }
}
