/**
 * The Redis backend (`--redis redis://host:port/db`): caps through Lua (src/state/redis-scripts.ts),
 * observations through one stream per site, the snapshot and leadership as keys with a TTL, drains
 * in a hash, the event history in a capped list.
 *
 * Degraded mode: when Redis cannot be reached (connection lost, a command timing out) the store says
 * so (`status()`, `onStatus`) and carries on locally — caps count this process's own calls, other
 * calls return "nothing shared" so callers fall back to their local state — without waiting on
 * Redis per call. A ping every 500 ms notices its return; the lease renewal then re-registers the
 * calls this process still holds, so the shared count converges.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { HeldLeases } from './held';
import { EVENT_LIMIT, type StoreOptions } from './memory';
import { ACQUIRE, IN_USE, LEAD, RENEW, RESIGN, type Script } from './redis-scripts';
import type {
  AcquireResult, Caps, Lease, ManualState, Observation, PublishedSnapshot, StampedObservation, StateStore, StoredEvent, StoreStatus,
} from './types';

const PING_MS = 500;
/** Pings still unanswered at this many ticks in a row = unreachable (a hung Redis; a lost connection is noticed at once). */
const PINGS_MISSED = 4;
/** A call's slot waits this long for Redis before falling back to the local cap. */
const ACQUIRE_WAIT_MS = 2000;
const STREAM_MAX = 20_000;
const SNAPSHOT_TTL_MS = 10_000;

export interface RedisStoreOptions extends StoreOptions {
  /** Key prefix (default `tw:`). */
  prefix?: string;
}

export class RedisStore implements StateStore {
  readonly backend = 'redis' as const;
  readonly origin: string;
  private readonly leaseMs: number;
  private readonly p: string;
  private readonly held: HeldLeases;
  private readonly cmd: Redis;
  private readonly readers: Redis[] = [];
  private reachable = false;
  private since = Date.now();
  private closed = false;
  private readonly statusListeners: ((s: StoreStatus) => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly url: string, opts: RedisStoreOptions = {}) {
    this.origin = opts.origin ?? `p-${randomBytes(4).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.p = opts.prefix ?? 'tw:';
    this.held = new HeldLeases(this.origin);
    // No per-command timeout: after an event-loop stall the timeout timer would fire before the reply,
    // already in the socket buffer, is read — a busy edge must not declare Redis dead. Counting ticks
    // with a ping outstanding is stall-proof: a stall delays the ticks as much as the reply.
    this.cmd = this.connection();
    this.cmd.on('ready', () => this.setReachable(true));
    this.cmd.on('close', () => this.setReachable(false));
    this.every(PING_MS, () => this.ping());
    this.every(Math.max(50, Math.floor(this.leaseMs / 3)), () => void this.renew());
  }

  /** Resolves once Redis answers, or after `ms` (then the store starts degraded). */
  async ready(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.reachable && Date.now() < until && !this.closed) await sleep(50);
    return this.reachable;
  }

  status(): StoreStatus {
    return { backend: 'redis', reachable: this.reachable, since: this.since };
  }

  onStatus(cb: (s: StoreStatus) => void): void {
    this.statusListeners.push(cb);
  }

  async acquire(carrier: string, caps: Caps): Promise<AcquireResult> {
    const now = Date.now();
    if (!this.reachable) return this.held.acquireLocally(carrier, caps, now);
    const lease = this.held.newLease(carrier);
    const r = await Promise.race([
      this.run(ACQUIRE, [this.k('calls', carrier), this.k('starts', carrier)], [lease.id, caps.maxConcurrent ?? -1, caps.maxCps ?? -1, this.leaseMs]),
      sleep(ACQUIRE_WAIT_MS).then(() => undefined),
    ]);
    // Same lease id locally: should the script still land, the renewal keeps it and release removes it.
    if (r === undefined) return this.held.acquireLocally(carrier, caps, now, lease);
    if (r === 'max-concurrent' || r === 'max-cps') return { ok: false, reason: r };
    this.held.add(lease, now);
    return { ok: true, lease };
  }

  async release(lease: Lease): Promise<void> {
    this.held.remove(lease);
    if (this.reachable) await this.cmd.zrem(this.k('calls', lease.carrier), lease.id).catch(() => this.setReachable(false));
  }

  async inUse(carrier: string): Promise<number> {
    const r = await this.run(IN_USE, [this.k('calls', carrier)], []);
    return typeof r === 'number' ? r : 0;
  }

  observe(site: string, o: Observation): void {
    if (!this.reachable || this.closed) return;
    const stamped: StampedObservation = { ...o, origin: this.origin };
    this.cmd.call('XADD', this.k('obs', site), 'MAXLEN', '~', STREAM_MAX, '*', 'o', JSON.stringify(stamped)).catch(() => this.setReachable(false));
  }

  async onObservation(site: string, cb: (o: StampedObservation) => void): Promise<void> {
    const reader = this.connection();
    this.readers.push(reader);
    const key = this.k('obs', site);
    const positioned = new Promise<void>((resolve) => void this.readLoop(reader, key, cb, resolve));
    // Unreachable Redis: listening starts when it comes back; the caller need not wait for that.
    await Promise.race([positioned, sleep(2000)]);
  }

  async publish(s: PublishedSnapshot): Promise<void> {
    if (!this.reachable) return;
    await this.cmd.multi().set(this.k('snap', s.site), JSON.stringify(s), 'PX', SNAPSHOT_TTL_MS).sadd(this.k('sites'), s.site).exec()
      .catch(() => this.setReachable(false));
  }

  async snapshot(site: string): Promise<PublishedSnapshot | undefined> {
    if (!this.reachable) return undefined;
    const v = await this.cmd.get(this.k('snap', site)).catch(() => this.setReachable(false));
    return typeof v === 'string' ? parse<PublishedSnapshot>(v) : undefined;
  }

  async sites(): Promise<string[]> {
    if (!this.reachable) return [];
    return ((await this.cmd.smembers(this.k('sites')).catch(() => this.setReachable(false))) ?? []).sort();
  }

  async setManual(carrier: string, state: ManualState): Promise<void> {
    if (state === 'in-service') await this.cmd.hdel(this.k('manual'), carrier);
    else await this.cmd.hset(this.k('manual'), carrier, state);
  }

  async manual(): Promise<Record<string, ManualState>> {
    if (!this.reachable) return {};
    const h = (await this.cmd.hgetall(this.k('manual')).catch(() => this.setReachable(false))) ?? {};
    const out: Record<string, ManualState> = {};
    for (const [k, v] of Object.entries(h)) if (v === 'drained' || v === 'disabled') out[k] = v;
    return out;
  }

  async addEvent(e: StoredEvent): Promise<void> {
    if (!this.reachable) return;
    await this.cmd.multi().rpush(this.k('events'), JSON.stringify(e)).ltrim(this.k('events'), -EVENT_LIMIT, -1).exec().catch(() => this.setReachable(false));
  }

  async events(limit: number): Promise<StoredEvent[]> {
    if (!this.reachable) return [];
    const l = (await this.cmd.lrange(this.k('events'), -Math.min(limit, EVENT_LIMIT), -1).catch(() => this.setReachable(false))) ?? [];
    return l.flatMap((s) => parse<StoredEvent>(s) ?? []);
  }

  async lead(site: string, ttlMs: number): Promise<boolean> {
    if (!this.reachable) return false;
    return (await this.run(LEAD, [this.k('leader', site)], [this.origin, ttlMs])) === 1;
  }

  async resign(site: string): Promise<void> {
    if (this.reachable) await this.run(RESIGN, [this.k('leader', site)], [this.origin]);
  }

  /** Stops renewing (held leases then expire within the lease time) and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const r of [this.cmd, ...this.readers]) r.disconnect();
  }

  private pending = 0;

  private ping(): void {
    if (this.pending > 0) {
      if (++this.pending > PINGS_MISSED) this.setReachable(false);
      return;
    }
    if (this.cmd.status !== 'ready') return this.setReachable(false);
    this.pending = 1;
    this.cmd.ping().then(() => {
      this.pending = 0;
      this.setReachable(true);
    }, () => {
      this.pending = 0;
      this.setReachable(false);
    });
  }

  private connection(): Redis {
    const r = new Redis(this.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => 250 });
    r.on('error', () => undefined); // reported through status(); ioredis reconnects by itself
    return r;
  }

  private async readLoop(reader: Redis, key: string, cb: (o: StampedObservation) => void, positioned: () => void): Promise<void> {
    let last: string | undefined;
    while (!this.closed) {
      if (reader.status !== 'ready') {
        await sleep(100);
        continue;
      }
      // Start after the newest entry there is now (XREAD's '$' would skip entries added between reads).
      last ??= await reader.call('XREVRANGE', key, '+', '-', 'COUNT', 1).then((r) => streamEntries([[key, r]])[0]?.[0] ?? '0-0', () => undefined);
      if (last === undefined) continue;
      positioned();
      const reply = await reader.call('XREAD', 'COUNT', 500, 'BLOCK', 1000, 'STREAMS', key, last).catch(() => undefined);
      for (const [id, o] of streamEntries(reply)) {
        last = id;
        if (o.origin !== this.origin) cb(o);
      }
    }
  }

  private async renew(): Promise<void> {
    if (!this.reachable) return;
    for (const [carrier, ids] of this.held.entries()) {
      await this.run(RENEW, [this.k('calls', carrier)], [this.leaseMs, ...ids]);
      // A call that ended while the renewal was on its way was re-added by it: remove it again.
      const gone = ids.filter((id) => !this.held.has({ carrier, id }));
      if (gone.length > 0) await this.cmd.zrem(this.k('calls', carrier), ...gone).catch(() => undefined);
    }
  }

  /** Runs a script by its SHA, loading it on NOSCRIPT (a restarted Redis); undefined when Redis failed. */
  private async run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.cmd.evalsha(s.sha, keys.length, ...keys, ...args).catch((err: Error) => {
        if (!/NOSCRIPT/.test(err.message)) throw err;
        return this.cmd.eval(s.text, keys.length, ...keys, ...args);
      });
    } catch {
      this.setReachable(false);
      return undefined;
    }
  }

  private setReachable(ok: boolean): void {
    if (ok === this.reachable || this.closed) return;
    this.reachable = ok;
    this.since = Date.now();
    for (const cb of this.statusListeners) cb(this.status());
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private k(...parts: string[]): string {
    return this.p + parts.join(':');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parse<T>(s: string): T | undefined {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

/** XREAD's reply [[key, [[id, [field, value, …]], …]]] (or one [key, …] unwrapped) as (id, observation) pairs. */
function streamEntries(reply: unknown): [string, StampedObservation][] {
  if (!Array.isArray(reply)) return [];
  const out: [string, StampedObservation][] = [];
  // One stream may come back unwrapped: [key, items] instead of [[key, items]].
  const streams: unknown[] = typeof reply[0] === 'string' ? [reply] : reply;
  for (const stream of streams) {
    const items: unknown = Array.isArray(stream) ? stream[1] : undefined;
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue;
      const fields = item[1] as unknown[];
      const v = fields[1];
      const o = typeof v === 'string' ? parse<StampedObservation>(v) : undefined;
      if (o) out.push([item[0], o]);
    }
  }
  return out;
}
