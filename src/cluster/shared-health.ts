/**
 * Carrier health shared by every process of a site through the state store (src/state).
 *
 * Every process feeds its own health monitor with its own observations and, through the store,
 * everyone else's — so each has the whole site's picture and a takeover loses nothing. One process
 * per site, the leader (a TTL lease in the store, renewed every 500 ms, 1.5 s TTL: another takes over
 * within 2 s), runs the OPTIONS prober, publishes the health snapshot every 250 ms and writes
 * the site's health events to the shared history (once, not once per edge). The others route on
 * the published snapshot. The operator's drains and disables go through the store to every edge.
 *
 * Store unreachable (Redis down): every process probes for itself and routes on its own monitor;
 * a log line, `trunkwise_state_store_reachable 0` and /health say so. When it returns, the leases
 * re-register (src/state/redis.ts), leadership is taken again and the snapshot is republished.
 */
import { randomBytes } from 'node:crypto';
import type { AttemptTrack, HealthMonitor } from '../health/monitor';
import type { HealthEvent, HealthState, ProbeResult } from '../health/types';
import type { ProbeSink } from '../health/prober';
import type { CarrierRegistry } from '../carriers/runtime';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PublishedSnapshot, StateStore, StoreStatus } from '../state';
import { RemoteAttempts } from './remote-attempts';

export const LEADER_TTL_MS = 1500;
const ELECT_MS = 500;
const SYNC_MS = 250;
/** A published snapshot older than this is not routed on (its leader is gone): the local monitor is. */
const STALE_MS = 3000;
const STATES: readonly string[] = ['active', 'degraded', 'down', 'probing'];
/** How much of the shared history /events reads (the store keeps the last 1000). */
const EVENTS_READ = 1000;

/** A stored event this process can show as a health event (a newer edge may write kinds we do not know). */
function isHealthEvent(e: Record<string, unknown>): e is HealthEvent & Record<string, unknown> {
  if (typeof e.at !== 'number' || typeof e.reason !== 'string') return false;
  if (e.kind === 'state') return typeof e.carrier === 'string' && typeof e.to === 'string' && typeof e.from === 'string' && typeof e.score === 'number';
  return (e.kind === 'local-fault-raised' || e.kind === 'local-fault-cleared') && Array.isArray(e.carriers);
}

export interface SharedHealthDeps {
  store: StateStore;
  site: string;
  health: HealthMonitor;
  registry: CarrierRegistry;
  carrierIds(): readonly string[];
  /** Start / stop this process's OPTIONS prober (the leader's job, or everyone's while the store is unreachable). */
  startProber(sink: ProbeSink): void;
  stopProber(): void;
  logger: Logger;
  metrics: Metrics;
}

type HealthReading = { state: HealthState; score: number; rampFactor: number };

export class SharedHealth implements ProbeSink {
  private leader = false;
  private probing = false;
  private published: PublishedSnapshot | undefined;
  private readonly remote: RemoteAttempts;
  private readonly pushed = new WeakSet<object>();
  private manualVersion = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private refs = 0;
  private readonly refPrefix = randomBytes(3).toString('hex');

  constructor(private readonly d: SharedHealthDeps) {
    this.remote = new RemoteAttempts(d.health);
  }

  async start(): Promise<void> {
    const { store, site, metrics } = this.d;
    metrics.stateReachable.set({ backend: store.backend }, store.status().reachable ? 1 : 0);
    store.onStatus((s) => this.statusChanged(s));
    if (!store.status().reachable) this.statusChanged(store.status());
    for (const e of this.d.health.events()) this.pushed.add(e);
    this.d.registry.onManualChange((id, state) => {
      this.manualVersion++;
      void store.setManual(id, state).catch((err: Error) => this.d.logger.warn({ carrier: id, err: err.message }, 'drain/disable not shared: the state store is unreachable'));
    });
    await store.onObservation(site, (o) => this.remote.apply(o, Date.now()));
    await this.elect();
    await this.sync();
    this.every(ELECT_MS, () => void this.elect());
    this.every(SYNC_MS, () => void this.sync());
    this.every(10_000, () => this.remote.sweep(Date.now()));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.probing) this.d.stopProber();
    this.probing = false;
    if (this.leader) void this.d.store.resign(this.d.site).catch(() => undefined);
  }

  /** The reading routing ranks from: the leader's published one when fresh, else this process's own. */
  snapshot(id: string, now: number): HealthReading | undefined {
    const p = this.published;
    if (!this.leader && p && Math.abs(now - p.at) < STALE_MS) {
      const c = p.carriers[id];
      if (c && STATES.includes(c.state)) return { state: c.state as HealthState, score: c.score, rampFactor: c.rampFactor };
    }
    return this.d.health.snapshot(id, now);
  }

  /** For /health: backend, reachability, site, whether this process leads it. */
  describe(): Record<string, unknown> {
    const s = this.d.store.status();
    return {
      backend: s.backend, reachable: s.reachable, since: new Date(s.since).toISOString(), site: this.d.site, leader: this.leader,
      ...(!s.reachable && { note: 'redis unreachable: carrying on with local state and local caps' }),
      ...(this.published && !this.leader && { snapshotAgeMs: Date.now() - this.published.at, snapshotFrom: this.published.leader }),
    };
  }

  /**
   * The site's event history (`GET /events`): what the leader recorded in the store, the same on
   * every edge and worker — not this process's own monitor, whose copy of a change differs in time
   * and is missing while it followed. The memory backend, or Redis unreachable: this process's own.
   */
  async events(carrier?: string): Promise<HealthEvent[]> {
    const { store, site, health } = this.d;
    if (store.backend === 'memory' || !store.status().reachable) return health.events(carrier);
    const stored = await store.events(EVENTS_READ).catch(() => undefined);
    if (!stored || !store.status().reachable) return health.events(carrier);
    const out: HealthEvent[] = [];
    for (const { site: s, origin: _o, ...e } of stored) {
      if (s !== site || !isHealthEvent(e)) continue;
      if (carrier === undefined || e.kind !== 'state' || e.carrier === carrier) out.push(e); // as the monitor's own list filters
    }
    return out;
  }

  /**
   * An operator's action (drain, disable …) into the site's shared history, so every edge and worker
   * shows it in /events. False when there is no shared history (memory store, Redis unreachable):
   * the caller keeps it locally.
   */
  shareEvent(e: { readonly at: number; readonly kind: string; readonly [k: string]: unknown }): boolean {
    const { store, site } = this.d;
    if (store.backend === 'memory' || !store.status().reachable) return false;
    void store.addEvent({ ...e, site, origin: store.origin }).catch((err: Error) => this.d.logger.warn({ err: err.message }, 'operator event not shared: the state store is unreachable'));
    return true;
  }

  /**
   * Every site's published health snapshot, read from the store (GET /sites: one edge's dashboard
   * can show the other sites). With the memory store, only this process's own site.
   */
  async siteViews(): Promise<PublishedSnapshot[]> {
    const { store } = this.d;
    const names = await store.sites().catch(() => [] as string[]);
    const views = await Promise.all(names.map((s) => store.snapshot(s).catch(() => undefined)));
    return views.filter((v): v is PublishedSnapshot => v !== undefined);
  }

  /** The site's shared events of one kind (e.g. 'operator'), oldest first; undefined without a shared history. */
  async sharedEvents(kind: string): Promise<Array<Record<string, unknown>> | undefined> {
    const { store, site } = this.d;
    if (store.backend === 'memory' || !store.status().reachable) return undefined;
    const stored = await store.events(EVENTS_READ).catch(() => undefined);
    if (!stored || !store.status().reachable) return undefined;
    return stored.filter((e) => e.site === site && e.kind === kind).map(({ site: _s, origin: _o, ...e }) => e);
  }

  /** The call layer's per-attempt hook: this process's monitor, and every other process through the store. */
  trackAttempt(carrier: string, now: number): AttemptTrack {
    const { store, site, health } = this.d;
    const ref = `${this.refPrefix}${(this.refs++).toString(36)}`;
    const local = health.attemptStarted(carrier, now);
    store.observe(site, { kind: 'attempt-start', carrier, ref, at: now });
    return {
      responded: (at) => {
        local.responded(at);
        store.observe(site, { kind: 'attempt-responded', carrier, ref, at });
      },
      rang: (pddMs) => {
        local.rang(pddMs);
        store.observe(site, { kind: 'attempt-rang', carrier, ref, pddMs });
      },
      finished: (verdict, at) => {
        const judged = local.finished(verdict, at);
        store.observe(site, { kind: 'attempt-finished', carrier, ref, verdict, at });
        return judged; // this process's decision (the CDR's); the site leader judges again with its own witnesses
      },
    };
  }

  probe(id: string, r: ProbeResult): void {
    this.d.health.probe(id, r);
    this.d.store.observe(this.d.site, { kind: 'probe', carrier: id, result: r });
  }

  probeRound(id: string, ok: boolean, now: number): void {
    this.d.health.probeRound(id, ok, now);
    this.d.store.observe(this.d.site, { kind: 'probe-round', carrier: id, ok, at: now });
  }

  mediaSample(id: string, stream: string, expected: number, lost: number, now: number): void {
    this.d.health.mediaSample(id, stream, expected, lost, now);
    this.d.store.observe(this.d.site, { kind: 'media', carrier: id, stream, expected, lost, at: now });
  }

  private async elect(): Promise<void> {
    if (this.stopped) return;
    const { store, site, logger, metrics } = this.d;
    const reachable = store.status().reachable;
    const lead = reachable ? await store.lead(site, LEADER_TTL_MS).catch(() => false) : false;
    if (this.stopped) return;
    if (lead !== this.leader) {
      this.leader = lead;
      metrics.stateLeader.set({ site }, lead ? 1 : 0);
      if (lead) {
        // Events this process saw while following were the old leader's to record.
        for (const e of this.d.health.events()) this.pushed.add(e);
      }
      logger.info({ event: 'site-leader', site, leader: lead, origin: store.origin }, lead ? `leading site ${site}: probing and publishing health` : `following site ${site}'s leader`);
    }
    const probe = lead || !store.status().reachable;
    if (probe !== this.probing) {
      this.probing = probe;
      if (probe) this.d.startProber(this);
      else this.d.stopProber();
    }
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const { store, site, health } = this.d;
    if (!store.status().reachable) {
      this.published = undefined;
      return;
    }
    const now = Date.now();
    if (this.leader) {
      const carriers: Record<string, HealthReading> = {};
      for (const id of this.d.carrierIds()) {
        const h = health.snapshot(id, now);
        if (h) carriers[id] = h;
      }
      await store.publish({ site, leader: store.origin, at: now, localFault: health.localFaultSuspected(), carriers });
      for (const e of health.events()) {
        if (this.pushed.has(e)) continue;
        this.pushed.add(e);
        await store.addEvent({ ...e, site, origin: store.origin });
      }
    } else {
      this.published = (await store.snapshot(site).catch(() => undefined)) ?? this.published;
      for (const e of health.events()) this.pushed.add(e);
    }
    const v = this.manualVersion;
    const manual = await store.manual().catch(() => undefined);
    if (!manual || v !== this.manualVersion || !store.status().reachable) return;
    for (const id of this.d.carrierIds()) this.d.registry.applyManual(id, manual[id] ?? 'in-service');
  }

  private statusChanged(s: StoreStatus): void {
    this.d.metrics.stateReachable.set({ backend: s.backend }, s.reachable ? 1 : 0);
    if (s.reachable) {
      this.d.logger.warn({ event: 'state-store', backend: s.backend, reachable: true }, `${s.backend} reachable again: shared state resumes`);
      // A Redis that restarted empty has forgotten the drains: every edge re-asserts the ones it holds.
      this.manualVersion++;
      for (const c of this.d.registry.all()) if (c.manual !== 'in-service') void this.d.store.setManual(c.id, c.manual).catch(() => undefined);
    }
    if (!s.reachable) this.d.logger.error({ event: 'state-store', backend: s.backend, reachable: false }, `${s.backend} unreachable: carrying on with local state and local caps`);
    void this.elect();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }
}
