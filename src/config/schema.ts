/**
 * JSON schemas for carriers.yaml and routes/*.yaml (ajv, draft-07). `additionalProperties: false`
 * on every object: an unknown or misspelt key is an error, not silently ignored. The `fix` keyword
 * is an annotation (no validation) that the error formatter shows as the hint for that field.
 *
 * Checks a schema cannot express well (URI syntax, regex compiles, CIDRs parse, timer ordering,
 * env vars present, cross-file references) live in carriers.ts / routes.ts / load.ts.
 */
const ID = {
  type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  fix: 'use 1–64 letters, digits, "_", "." or "-", starting with a letter or digit (it appears in metric labels)',
} as const;

const ENV_NAME = {
  type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  fix: 'give the NAME of an environment variable (e.g. CARRIER_A_PASS), not its value',
} as const;

const MS = (min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max, fix: `milliseconds, an integer from ${min} to ${max}` }) as const;

const PROBE = {
  type: 'object', additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    intervalMs: MS(100, 3_600_000),
    timeoutMs: MS(50, 60_000),
    burst: { type: 'integer', minimum: 1, maximum: 20, fix: 'OPTIONS per probe round, 1–20' },
    aliveCodes: {
      type: 'array', minItems: 1, uniqueItems: true,
      items: { type: 'integer', minimum: 100, maximum: 699, fix: 'SIP status codes, e.g. [200, 404, 405]' },
    },
  },
} as const;

const REWRITE = {
  type: 'object', additionalProperties: false,
  properties: {
    stripDigits: { type: 'integer', minimum: 0, maximum: 32, fix: 'number of leading characters to remove, 0–32' },
    addPrefix: { type: 'string', pattern: '^[0-9+*#]{0,16}$', fix: 'up to 16 of 0-9 + * #, e.g. "00"' },
  },
} as const;

const AUTH = {
  type: 'object', additionalProperties: false, required: ['usernameEnv', 'passwordEnv'],
  properties: { usernameEnv: ENV_NAME, passwordEnv: ENV_NAME, realm: { type: 'string', minLength: 1 } },
} as const;

/** Synthetic media probes to one carrier (src/drills/synthetic-probes.ts): off unless the block is there. */
const MEDIA_PROBE = {
  type: 'object', additionalProperties: false, required: ['testNumber'],
  properties: {
    testNumber: { type: 'string', pattern: '^\\+?[0-9*#]{1,32}$', fix: 'the carrier\'s echo or announcement number as dialled, e.g. "+15550199" (digits, * and #, an optional leading +)' },
    intervalMs: MS(1_000, 86_400_000),
    durationMs: MS(1_000, 60_000),
    setupTimeoutMs: MS(500, 60_000),
    maxConcurrent: { type: 'integer', minimum: 1, maximum: 4, fix: 'probe calls up at once to this carrier, 1–4' },
  },
} as const;

/** Carrier fields that may also appear under `defaults:` (everything but identity and credentials). */
const CARRIER_SHARED = {
  enabled: { type: 'boolean' },
  weight: { type: 'number', minimum: 0, maximum: 1_000_000, fix: 'a relative weight ≥ 0, e.g. 30' },
  maxConcurrent: { type: 'integer', minimum: 1, fix: 'an integer ≥ 1 (calls up at once), or omit for no cap' },
  maxCps: { type: 'number', exclusiveMinimum: 0, fix: 'new calls per second > 0, or omit for no cap' },
  rewrite: REWRITE,
  probe: PROBE,
} as const;

const RATIO = { type: 'number', minimum: 0, maximum: 1, fix: 'a number from 0 to 1' } as const;
const COUNT = (max: number) => ({ type: 'integer', minimum: 1, maximum: max, fix: `an integer from 1 to ${max}` }) as const;

/** One health signal's thresholds: value at or better than `good` → 1, at or worse than `bad` → 0; `weight` 0..1 = how much it can take off the score. */
const SIGNAL = {
  type: 'object', additionalProperties: false,
  properties: {
    good: { type: 'number', minimum: 0, fix: 'the value at which this signal is fully healthy (e.g. 0.02 for 2 %)' },
    bad: { type: 'number', minimum: 0, fix: 'the value at which this signal is fully unhealthy; must differ from good' },
    weight: RATIO,
  },
} as const;

/** Global health scoring and state switching (src/health). Every field optional; see README "Carrier health". */
const HEALTH = {
  type: 'object', additionalProperties: false,
  properties: {
    evaluateMs: MS(100, 60_000),
    windowMs: MS(1_000, 3_600_000),
    probeWindow: COUNT(10_000),
    minSamples: COUNT(1_000),
    lateAfterMs: MS(10, 60_000),
    downAfter: COUNT(100),
    upAfter: COUNT(100),
    degradeAfter: COUNT(100),
    recoverAfter: COUNT(100),
    degradedBelow: RATIO,
    recoverAbove: RATIO,
    downBelow: RATIO,
    rampMs: MS(0, 3_600_000),
    rampStart: RATIO,
    downHoldMs: MS(0, 3_600_000),
    flapWindowMs: MS(1_000, 86_400_000),
    maxFlapFactor: COUNT(64),
    silenceMs: MS(50, 60_000),
    silenceAttempts: COUNT(1_000),
    localFaultFraction: RATIO,
    history: COUNT(10_000),
    mediaWindowMs: MS(1_000, 600_000),
    mediaMinPackets: COUNT(1_000_000),
    signals: {
      type: 'object', additionalProperties: false,
      properties: { probeLoss: SIGNAL, probeLate: SIGNAL, rtt: SIGNAL, callFailure: SIGNAL, pdd: SIGNAL, callLate: SIGNAL, mediaLoss: SIGNAL },
    },
  },
} as const;

/** How the edge answers the IVR's OPTIONS (src/config/upstream.ts). */
const UPSTREAM_CASE = {
  type: 'object', additionalProperties: false,
  properties: {
    unavailable: { type: 'boolean', fix: 'true = answer 503 in this case, false = keep answering 200' },
    retryAfterS: { type: 'integer', minimum: 1, maximum: 3600, fix: 'seconds for Retry-After, 1–3600' },
    holdS: { type: 'integer', minimum: 0, maximum: 3600, fix: 'seconds the cause must stay clear before 200 again, 0–3600 (0 = no hold)' },
  },
} as const;
const UPSTREAM = {
  type: 'object', additionalProperties: false,
  properties: { enabled: { type: 'boolean' }, draining: UPSTREAM_CASE, localFault: UPSTREAM_CASE, noCarrier: UPSTREAM_CASE },
} as const;

/** A drill the edge runs by itself (src/config/drills.ts, src/drills/schedule.ts). */
const DRILL = {
  type: 'object', additionalProperties: false, required: ['name', 'kind', 'every'],
  properties: {
    name: ID,
    kind: { type: 'string', enum: ['drain-carrier', 'drain-site', 'failover-site'], fix: 'drain-carrier (with carrier:), drain-site or failover-site' },
    carrier: ID,
    every: { type: 'string', pattern: '^[1-9][0-9]{0,5}[smhd]$', fix: 'a period such as "30s", "15m", "6h" or "7d"' },
    at: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', fix: 'a UTC time of day "HH:MM", e.g. "03:30": runs at that time plus whole periods' },
    windowS: { type: 'integer', minimum: 2, maximum: 300, fix: 'seconds per drill window (before, drained, restored), 2–300' },
    testCalls: {
      type: 'object', additionalProperties: false, required: ['to', 'perWindow'],
      properties: {
        to: { type: 'string', pattern: '^\\+?[0-9*#]{1,32}$', fix: 'a number the edge routes, e.g. an echo number "+15550199"' },
        perWindow: { type: 'integer', minimum: 1, maximum: 100, fix: 'test calls per window, 1–100' },
      },
    },
  },
} as const;

/** Other sites' edges, a last resort (src/config/peers.ts). */
const PEER = {
  type: 'object', additionalProperties: false, required: ['id', 'uri'],
  properties: {
    id: ID,
    description: { type: 'string' },
    uri: { type: 'string', minLength: 1, fix: "the peer edge's SIP address as an IP, e.g. sip:10.2.0.5:5060;transport=udp" },
    enabled: { type: 'boolean' },
    weight: { type: 'number', minimum: 0, maximum: 1_000_000, fix: 'a relative weight ≥ 0 among peers (default 1)' },
    probe: PROBE,
  },
} as const;

export const CARRIERS_SCHEMA = {
  $id: 'trunkwise/carriers',
  type: 'object', additionalProperties: false, required: ['carriers'],
  properties: {
    defaults: { type: 'object', additionalProperties: false, properties: CARRIER_SHARED },
    health: HEALTH,
    upstream: UPSTREAM,
    drills: { type: 'array', items: DRILL, fix: 'a list of scheduled drills, each with name, kind, every (and carrier for drain-carrier)' },
    peers: { type: 'array', items: PEER, fix: 'a list of peer edges, each with id and uri' },
    carriers: {
      type: 'array', minItems: 1, fix: 'a list of carriers, each with at least id, uri and weight',
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'uri'],
        properties: {
          id: ID,
          description: { type: 'string' },
          uri: { type: 'string', minLength: 1, fix: 'the trunk address, e.g. sip:127.0.0.1:5071;transport=udp' },
          auth: AUTH,
          mediaProbe: MEDIA_PROBE,
          ...CARRIER_SHARED,
        },
      },
    },
  },
} as const;

const RETRY_TOKEN = {
  type: 'string', pattern: '^(timeout|no-answer|transport|[1-6]xx|[1-6][0-9][0-9])$',
  fix: 'one of timeout, no-answer, transport, a status class such as 5xx, or a status such as 408',
} as const;

const ROUTE = {
  type: 'object', additionalProperties: false, required: ['id', 'carriers'],
  properties: {
    id: ID,
    description: { type: 'string' },
    order: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000, fix: 'an integer; lower is evaluated first (default 100)' },
    default: { type: 'boolean' },
    match: {
      type: 'object', additionalProperties: false,
      properties: {
        prefix: {
          type: ['string', 'array'], minLength: 1, minItems: 1, items: { type: 'string', minLength: 1 },
          fix: 'a request-URI user prefix such as "+44" or a list of them',
        },
        pattern: { type: 'string', minLength: 1, fix: 'a JavaScript regular expression tested against the request-URI user, e.g. "^\\\\+44(7|20)"' },
        sources: {
          type: 'array', minItems: 1, items: { type: 'string', minLength: 1 },
          fix: 'a list of CIDRs (10.0.0.0/8, 2001:db8::/32) and/or named source ids',
        },
        priority: {
          type: 'object', additionalProperties: false, required: ['values'],
          properties: {
            header: { type: 'string', pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', fix: 'a SIP header name, e.g. Priority' },
            values: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, fix: 'e.g. [emergency, urgent]' },
          },
        },
      },
    },
    carriers: {
      type: 'array', minItems: 1, fix: 'a list of { id, weight?, order? } naming carriers from carriers.yaml',
      items: {
        type: 'object', additionalProperties: false, required: ['id'],
        properties: {
          id: ID,
          weight: { type: 'number', minimum: 0, maximum: 1_000_000, fix: 'a relative weight ≥ 0 (overrides the carrier weight for this route)' },
          order: { type: 'integer', minimum: 0, maximum: 1_000_000, fix: 'an integer ≥ 0; lower is tried first by the priority strategy' },
        },
      },
    },
    strategy: { type: 'string', enum: ['health-weighted', 'priority', 'round-robin', 'least-loaded'] },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 20, fix: 'an integer from 1 to 20' },
    timers: {
      type: 'object', additionalProperties: false,
      properties: {
        attemptNoProvisionalMs: MS(100, 60_000),
        attemptNoProvisionalFloorMs: MS(50, 60_000),
        attemptNoProvisionalRttFactor: { type: 'number', minimum: 1, maximum: 100, fix: 'how many round trips to wait for a 100 Trying, from 1 to 100 (default 4)' },
        attemptNoAnswerMs: MS(1_000, 600_000),
        setupDeadlineMs: MS(500, 600_000),
      },
    },
    retry: {
      type: 'object', additionalProperties: false,
      properties: {
        retryOn: { type: 'array', uniqueItems: true, items: RETRY_TOKEN },
        neverRetry: { type: 'array', uniqueItems: true, items: { type: 'integer', minimum: 300, maximum: 699, fix: 'SIP final statuses, e.g. [486, 603]' } },
      },
    },
    media: { type: 'string', enum: ['relay', 'rtpengine', 'direct'] },
  },
} as const;

export const ROUTES_SCHEMA = {
  $id: 'trunkwise/routes',
  type: 'object', additionalProperties: false, required: ['routes'],
  properties: { routes: { type: 'array', minItems: 1, items: ROUTE, fix: 'a list of routes, each with at least id and carriers' } },
} as const;

/* The raw (validated, not yet defaulted) shapes the schemas admit. */

export interface RawProbe { enabled?: boolean; intervalMs?: number; timeoutMs?: number; burst?: number; aliveCodes?: number[] }
export interface RawRewrite { stripDigits?: number; addPrefix?: string }
export interface RawCarrierShared {
  enabled?: boolean; weight?: number; maxConcurrent?: number; maxCps?: number; rewrite?: RawRewrite; probe?: RawProbe;
}
export interface RawMediaProbe { testNumber: string; intervalMs?: number; durationMs?: number; setupTimeoutMs?: number; maxConcurrent?: number }
export interface RawCarrier extends RawCarrierShared {
  id: string; description?: string; uri: string; auth?: { usernameEnv: string; passwordEnv: string; realm?: string }; mediaProbe?: RawMediaProbe;
}
export interface RawSignal { good?: number; bad?: number; weight?: number }
export type SignalName = 'probeLoss' | 'probeLate' | 'rtt' | 'callFailure' | 'pdd' | 'callLate' | 'mediaLoss';
export interface RawHealth {
  evaluateMs?: number; windowMs?: number; probeWindow?: number; minSamples?: number; lateAfterMs?: number;
  downAfter?: number; upAfter?: number; degradeAfter?: number; recoverAfter?: number;
  degradedBelow?: number; recoverAbove?: number; downBelow?: number; rampMs?: number; rampStart?: number; downHoldMs?: number;
  flapWindowMs?: number; maxFlapFactor?: number; silenceMs?: number; silenceAttempts?: number; localFaultFraction?: number; history?: number; mediaWindowMs?: number; mediaMinPackets?: number;
  signals?: Partial<Record<SignalName, RawSignal>>;
}
export interface RawUpstreamCase { unavailable?: boolean; retryAfterS?: number; holdS?: number }
export interface RawUpstream { enabled?: boolean; draining?: RawUpstreamCase; localFault?: RawUpstreamCase; noCarrier?: RawUpstreamCase }
export interface RawDrill { name: string; kind: 'drain-carrier' | 'drain-site' | 'failover-site'; carrier?: string; every: string; at?: string; windowS?: number; testCalls?: { to: string; perWindow: number } }
export interface RawPeer { id: string; description?: string; uri: string; enabled?: boolean; weight?: number; probe?: RawProbe }
export interface RawCarriersFile { defaults?: RawCarrierShared; health?: RawHealth; upstream?: RawUpstream; drills?: RawDrill[]; peers?: RawPeer[]; carriers: RawCarrier[] }

export interface RawRoute {
  id: string;
  description?: string;
  order?: number;
  default?: boolean;
  match?: { prefix?: string | string[]; pattern?: string; sources?: string[]; priority?: { header?: string; values: string[] } };
  carriers: { id: string; weight?: number; order?: number }[];
  strategy?: 'health-weighted' | 'priority' | 'round-robin' | 'least-loaded';
  maxAttempts?: number;
  timers?: { attemptNoProvisionalMs?: number; attemptNoProvisionalFloorMs?: number; attemptNoProvisionalRttFactor?: number; attemptNoAnswerMs?: number; setupDeadlineMs?: number };
  retry?: { retryOn?: string[]; neverRetry?: number[] };
  media?: 'relay' | 'rtpengine' | 'direct';
}
export interface RawRoutesFile { routes: RawRoute[] }
