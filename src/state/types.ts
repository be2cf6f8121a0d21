/**
 * The shared state of a trunkwise deployment, as one interface with two backends: `memory` (one
 * process, the default) and `redis` (several edges and workers). Plain JSON only: the store knows
 * nothing about how health scores or how calls are routed (it sits below health and call).
 */

export type ManualState = 'in-service' | 'drained' | 'disabled';

/** A carrier's configured caps (absent = no cap). */
export interface Caps {
  readonly maxConcurrent?: number;
  readonly maxCps?: number;
}

/** A call slot on a carrier: held from the attempt's start until the call ends, renewed while held. */
export interface Lease {
  readonly carrier: string;
  readonly id: string;
}

export type AcquireResult = { ok: true; lease: Lease } | { ok: false; reason: 'max-concurrent' | 'max-cps' };

/**
 * One health observation, as every process reports it: attempts (start, first response, ringing,
 * end), probe results and rounds, media loss samples. `origin` names the reporting process, `ref`
 * ties an attempt's observations together within it.
 */
export type Observation =
  | { kind: 'attempt-start'; carrier: string; ref: string; at: number }
  | { kind: 'attempt-responded'; carrier: string; ref: string; at: number }
  | { kind: 'attempt-rang'; carrier: string; ref: string; pddMs: number }
  | { kind: 'attempt-finished'; carrier: string; ref: string; verdict: 'ok' | 'failure' | 'ignored'; at: number }
  | { kind: 'probe'; carrier: string; result: { kind: 'alive' | 'not-alive' | 'lost'; at: number; rttMs?: number; status?: number } }
  | { kind: 'probe-round'; carrier: string; ok: boolean; at: number }
  | { kind: 'media'; carrier: string; stream: string; expected: number; lost: number; at: number };

export type StampedObservation = Observation & { readonly origin: string };

/** One carrier in the published health snapshot. */
export interface CarrierHealth {
  readonly state: string;
  readonly score: number;
  readonly rampFactor: number;
}

/** What a site's leader publishes and the other processes of the site route on. */
export interface PublishedSnapshot {
  readonly site: string;
  readonly leader: string;
  readonly at: number;
  readonly localFault: boolean;
  readonly carriers: Readonly<Record<string, CarrierHealth>>;
}

/** A history entry (health state change, local-fault alarm, operator action): JSON with a time and a kind. */
export interface StoredEvent {
  readonly at: number;
  readonly kind: string;
  readonly site?: string;
  readonly [k: string]: unknown;
}

/** Whether the backend answers; a `redis` store that cannot reach Redis carries on locally. */
export interface StoreStatus {
  readonly backend: 'memory' | 'redis';
  readonly reachable: boolean;
  /** Since when (epoch ms) the backend has been in this condition. */
  readonly since: number;
}

export interface StateStore {
  readonly backend: 'memory' | 'redis';
  /** This process's name in the store (leases, leadership, observation origin). */
  readonly origin: string;
  status(): StoreStatus;
  /** Called whenever `status().reachable` flips. */
  onStatus(cb: (s: StoreStatus) => void): void;

  /** Takes a call slot on `carrier` if both caps allow, atomically across every process. */
  acquire(carrier: string, caps: Caps): Promise<AcquireResult>;
  release(lease: Lease): Promise<void>;
  /** Calls held on `carrier` by every process (live leases). */
  inUse(carrier: string): Promise<number>;

  /** Reports an observation to every process of `site` (fire and forget). */
  observe(site: string, o: Observation): void;
  /** Observations of `site` reported by other processes, in order, from when the promise resolves. */
  onObservation(site: string, cb: (o: StampedObservation) => void): Promise<void>;

  publish(snapshot: PublishedSnapshot): Promise<void>;
  snapshot(site: string): Promise<PublishedSnapshot | undefined>;
  /** Every site that has published a snapshot. */
  sites(): Promise<string[]>;

  setManual(carrier: string, state: ManualState): Promise<void>;
  manual(): Promise<Record<string, ManualState>>;

  addEvent(e: StoredEvent): Promise<void>;
  /** Newest last, at most `limit`. */
  events(limit: number): Promise<StoredEvent[]>;

  /** Takes or renews `site`'s leadership for `ttlMs`; true while this process holds it. */
  lead(site: string, ttlMs: number): Promise<boolean>;
  resign(site: string): Promise<void>;

  close(): Promise<void>;
}
