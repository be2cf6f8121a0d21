/**
 * The typed, validated shape of trunkwise's configuration (carriers.yaml + routes/*.yaml) after
 * loading: defaults applied, references resolved, everything readonly and deep-frozen at run time.
 */
import type { CompiledRoute, CompiledRouteTable } from '../routing/types';
import type { CredentialStore } from './credentials';
import type { UpstreamConfig } from './upstream';
import type { ScheduledDrillConfig } from './drills';

export type Transport = 'udp' | 'tcp';
export type Strategy = 'health-weighted' | 'priority' | 'round-robin' | 'least-loaded';
export type MediaMode = 'relay' | 'rtpengine' | 'direct';

/** A retry token: `timeout` (no provisional), `no-answer` (rang, never answered), `transport`, a status (`408`) or a class (`5xx`). */
export type RetryToken = 'timeout' | 'no-answer' | 'transport' | `${number}` | `${1 | 2 | 3 | 4 | 5 | 6}xx`;

/** A carrier trunk's SIP URI, parsed. */
export interface TrunkTarget {
  readonly scheme: 'sip' | 'sips';
  /** Host as written (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
}

export interface NumberRewrite {
  /** Leading characters removed from the request-URI user before sending to the carrier. */
  readonly stripDigits: number;
  /** Added in front after stripping. */
  readonly addPrefix: string;
}

/** Digest credentials are referenced by environment variable NAME; the values live in the CredentialStore. */
export interface CarrierAuthRef {
  readonly usernameEnv: string;
  readonly passwordEnv: string;
  readonly realm?: string;
}

export interface ProbeConfig {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** OPTIONS sent back to back per probe round (loss estimate). */
  readonly burst: number;
  /** OPTIONS responses that count as "alive". */
  readonly aliveCodes: readonly number[];
}

/**
 * Synthetic media probes (carriers.yaml `mediaProbe:`): every intervalMs a short test call to
 * testNumber on this carrier alone, with real RTP through the relay; its loss feeds mediaLoss.
 */
export interface MediaProbeConfig {
  /** Dialled as written (no rewrite): the carrier's echo or announcement number. */
  readonly testNumber: string;
  readonly intervalMs: number;
  /** How long a probe call stays up once answered. */
  readonly durationMs: number;
  /** No answer within this → the probe call is cancelled and counts as a failed set-up. */
  readonly setupTimeoutMs: number;
  /** Probe calls up at once to this carrier; an interval finding this many still up is skipped. */
  readonly maxConcurrent: number;
}

/** Thresholds of one health signal (see src/health/signals). */
export interface SignalThresholds {
  /** Value at or better than this → the signal is fully healthy (1). */
  readonly good: number;
  /** Value at or worse than this → fully unhealthy (0); linear in between. */
  readonly bad: number;
  /** 0..1: the most this signal can take off the score (factor = 1 − weight × (1 − health)). */
  readonly weight: number;
}

export type HealthSignalName = 'probeLoss' | 'probeLate' | 'rtt' | 'callFailure' | 'pdd' | 'callLate' | 'mediaLoss';

/** Health scoring and state switching, shared by all carriers (carriers.yaml `health:`). */
export interface HealthConfig {
  /** How often scores are recomputed and states evaluated. */
  readonly evaluateMs: number;
  /** Sliding window for call outcomes. */
  readonly windowMs: number;
  /** Probe results kept per carrier for loss / late fractions and RTT. */
  readonly probeWindow: number;
  /** Fewer samples than this in a window → the signal is not scored (neutral). */
  readonly minSamples: number;
  /** A probe answered later than this was (almost surely) answered only after a UDP retransmission (T1). */
  readonly lateAfterMs: number;
  /** Consecutive hard failures (probe rounds with no alive answer, INVITE timeouts) → down. */
  readonly downAfter: number;
  /** Consecutive good probe rounds for a down carrier to come back (× flap factor). */
  readonly upAfter: number;
  /** Consecutive evaluations under degradedBelow → degraded (under downBelow → down). */
  readonly degradeAfter: number;
  /** Consecutive evaluations at or over recoverAbove for degraded → active. */
  readonly recoverAfter: number;
  readonly degradedBelow: number;
  readonly recoverAbove: number;
  readonly downBelow: number;
  /** After recovery, the traffic share ramps from rampStart to 1 over this long. */
  readonly rampMs: number;
  readonly rampStart: number;
  /** Minimum time in down before recovery is considered (× flap factor). */
  readonly downHoldMs: number;
  /** Down transitions within this window count as flaps; each doubles upAfter and downHoldMs, up to maxFlapFactor. */
  readonly flapWindowMs: number;
  readonly maxFlapFactor: number;
  /** No response at all to the last silenceAttempts INVITEs for silenceMs → down at once (reactive). */
  readonly silenceMs: number;
  readonly silenceAttempts: number;
  /** When at least this fraction of in-service carriers is degraded or worse, suspect the edge itself. */
  readonly localFaultFraction: number;
  /** State changes kept for the admin API. */
  readonly history: number;
  /** Live RTP loss: interval samples of the calls up on a carrier are kept this long. */
  readonly mediaWindowMs: number;
  /** Fewer expected RTP packets than this in the media window → mediaLoss is not scored. */
  readonly mediaMinPackets: number;
  readonly signals: Readonly<Record<HealthSignalName, SignalThresholds>>;
}

export interface CarrierConfig {
  readonly id: string;
  readonly description?: string;
  /** Position in carriers.yaml; health snapshots in this order give routing an O(1) lookup. */
  readonly index: number;
  readonly uri: string;
  readonly target: TrunkTarget;
  /** false = administratively disabled: never routed to. */
  readonly enabled: boolean;
  readonly weight: number;
  readonly maxConcurrent?: number;
  readonly maxCps?: number;
  readonly rewrite: NumberRewrite;
  readonly auth?: CarrierAuthRef;
  readonly probe: ProbeConfig;
  /** Absent: no synthetic media probes to this carrier (the default). */
  readonly mediaProbe?: MediaProbeConfig;
  /** Another site's edge (carriers.yaml `peers:`), probed and scored like a carrier, routed to only as a last resort. */
  readonly peer?: boolean;
}

export interface RouteTimers {
  /** No provisional response (not even 100) within this → abandon the attempt (crankback). The maximum: see below. */
  readonly attemptNoProvisionalMs: number;
  /**
   * The no-provisional timer adapts to each carrier's measured response time: rttFactor × RTT, never
   * under the floor, never over attemptNoProvisionalMs (src/call/no-provisional-timer.ts; defaults
   * 400 ms and 4 there). Floor equal to attemptNoProvisionalMs: no adaptation.
   */
  readonly attemptNoProvisionalFloorMs?: number;
  readonly attemptNoProvisionalRttFactor?: number;
  /** Provisional seen but no final response within this → abandon the attempt. */
  readonly attemptNoAnswerMs: number;
  /** From INVITE received: no new attempt starts after this. */
  readonly setupDeadlineMs: number;
}

export interface RetryRules {
  readonly retryOn: readonly RetryToken[];
  /** Always contains 486 and 603 (STYLE.md 6), whatever the file says. */
  readonly neverRetry: readonly number[];
}

export interface PriorityMatch {
  readonly header: string;
  /** Lower-cased; compared case-insensitively with the trimmed header value. */
  readonly values: readonly string[];
}

export interface RouteMatch {
  /** Request-URI user prefixes; empty = no prefix condition. */
  readonly prefixes: readonly string[];
  /** JavaScript regex source tested against the request-URI user (not anchored unless written so). */
  readonly pattern?: string;
  /** CIDRs and/or named source ids (IVR ids); empty = any source. */
  readonly sources: readonly string[];
  readonly priority?: PriorityMatch;
}

export interface PoolEntry {
  readonly id: string;
  /** Route weight if given, else the carrier's weight. */
  readonly weight: number;
  /** For the `priority` strategy: lower first; defaults to the position in the pool. */
  readonly order: number;
  /** Index of the carrier in config.carriers (and in a snapshot built in that order). */
  readonly carrierIndex: number;
  readonly maxConcurrent?: number;
  readonly maxCps?: number;
}

export interface RouteConfig {
  readonly id: string;
  readonly description?: string;
  /** File name relative to routes/, e.g. `10-emergency.yaml`. */
  readonly file: string;
  /** Position of the route in its file. */
  readonly position: number;
  /** Explicit evaluation order, lower first (default 100). */
  readonly order: number;
  readonly default: boolean;
  readonly match: RouteMatch;
  readonly carriers: readonly PoolEntry[];
  readonly strategy: Strategy;
  readonly maxAttempts: number;
  readonly timers: RouteTimers;
  readonly retry: RetryRules;
  readonly media: MediaMode;
}

export interface ConfigSources {
  readonly carriersFile: string;
  readonly routesDir: string;
  readonly routeFiles: readonly string[];
}

export interface TrunkwiseConfig {
  readonly carriers: readonly CarrierConfig[];
  readonly health: HealthConfig;
  /** How the edge answers the IVR's OPTIONS (carriers.yaml `upstream:`). */
  readonly upstream: UpstreamConfig;
  /** Drills the edge runs by itself (carriers.yaml `drills:`); empty by default. */
  readonly drills: readonly ScheduledDrillConfig[];
  readonly carrierById: Readonly<Record<string, CarrierConfig>>;
  /** Every route in evaluation order (see routes.ts), compiled for matching. */
  readonly routes: readonly CompiledRoute[];
  readonly routeTable: CompiledRouteTable;
  readonly sources: ConfigSources;
  /** Resolved digest credentials; never serialised or printed. */
  readonly credentials: CredentialStore;
  /** Load time (ms since epoch) as passed to / taken by the loader. */
  readonly loadedAt: number;
}

/** One problem in one file: where (file, path inside it, line if known), what, and how to fix it. */
export interface ConfigError {
  readonly file: string;
  /** e.g. `carriers[2].uri`; '' for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

export type ConfigResult = { ok: true; config: TrunkwiseConfig } | { ok: false; errors: ConfigError[] };

export interface LoadOptions {
  carriersFile: string;
  routesDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Stamped into config.loadedAt; defaults to Date.now() (the loader is not on the hot path). */
  now?: number;
}
