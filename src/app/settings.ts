/**
 * Process settings from the command line and the environment (same names: `--sip` ↔ TRUNKWISE_SIP).
 * Carrier and route configuration live in carriers.yaml and routes/ (src/config); these are the
 * edge's own knobs. Secrets (admin token, drachtio secret) come only from the environment.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { MediaSettings } from './media-anchors';

export interface HostPort {
  host: string;
  port: number;
}

export interface Settings {
  carriersFile: string;
  routesDir: string;
  sip: HostPort;
  http: HostPort;
  /** embedded = start the in-process engine; external = connect to a drachtio-server. */
  engine: 'embedded' | 'external';
  /** The embedded engine runs on a thread of its own (src/engine/thread) rather than the app's event loop. */
  engineThread: boolean;
  drachtio: { host: string; port: number };
  /** CIDRs allowed to send INVITEs (the IVR platform). */
  allow: string[];
  /** What the embedded engine does with requests from sources that are neither allowed nor carriers. */
  foreign: 'reject' | 'drop';
  maxCps: number;
  maxCpsPerSource: number;
  authRealm: string;
  media: MediaSettings;
  logLevel: string;
  /** Shared state (caps, health, drains, events) in Redis: redis://host:port/db; undefined = in this process only. */
  redis: string | undefined;
  /** This edge's site: processes of one site share one health view and one prober (leader). */
  site: string;
  /** App processes on one engine (src/workers); 1 = this process is the whole edge. */
  workers: number;
  /** A cap slot's lease: a crashed worker's or edge's calls stop holding capacity after this long. */
  capLeaseMs: number;
}

export interface Secrets {
  drachtioSecret: string;
  adminToken: string | undefined;
  /** IVR digest credentials, `user:password,…` (TRUNKWISE_IVR_AUTH); undefined = no digest auth. */
  ivrAuth: string | undefined;
}

const OPTIONS: Record<string, { env: string; help: string }> = {
  carriers: { env: 'TRUNKWISE_CARRIERS', help: 'carriers file (default carriers.yaml)' },
  routes: { env: 'TRUNKWISE_ROUTES', help: 'route directory (default routes/)' },
  sip: { env: 'TRUNKWISE_SIP', help: 'SIP listen address host:port, UDP and TCP (default 127.0.0.1:5060)' },
  http: { env: 'TRUNKWISE_HTTP', help: 'admin API / metrics listen address (default 127.0.0.1:8080)' },
  engine: { env: 'TRUNKWISE_ENGINE', help: 'embedded | external (default embedded; external when DRACHTIO_HOST is set)' },
  'engine-thread': { env: 'TRUNKWISE_ENGINE_THREAD', help: 'on | off: the embedded engine on a thread of its own, off the app\'s event loop (default off: on a 2-core box it did not lower the setup tail, see docs/perf-tail.md)' },
  allow: { env: 'TRUNKWISE_ALLOW', help: 'comma-separated CIDRs allowed to send calls (default 127.0.0.0/8)' },
  foreign: { env: 'TRUNKWISE_FOREIGN', help: 'requests from sources neither allowed nor carriers: reject (403, rate-limited) | drop (default reject)' },
  'max-cps': { env: 'TRUNKWISE_MAX_CPS', help: 'global new-call rate limit, calls/s (default 500)' },
  'max-cps-per-source': { env: 'TRUNKWISE_MAX_CPS_PER_SOURCE', help: 'per-source new-call rate limit (default 300)' },
  'media-address': { env: 'TRUNKWISE_MEDIA_ADDRESS', help: 'RTP relay bind address (default: the --sip host)' },
  'media-advertise': { env: 'TRUNKWISE_MEDIA_ADVERTISE', help: 'address written into relayed SDP, e.g. a public IP behind NAT (default: --media-address)' },
  'rtp-ports': { env: 'TRUNKWISE_RTP_PORTS', help: 'RTP relay port range MIN-MAX (default 40000-49999)' },
  rtpengine: { env: 'TRUNKWISE_RTPENGINE', help: 'rtpengine for media: rtpengine routes: embedded (started on first use) | off | host:port of an external ng port (default embedded)' },
  'auth-realm': { env: 'TRUNKWISE_AUTH_REALM', help: 'digest realm for IVR authentication (default trunkwise; on when TRUNKWISE_IVR_AUTH is set)' },
  'log-level': { env: 'LOG_LEVEL', help: 'pino level (default info)' },
  redis: { env: 'TRUNKWISE_REDIS', help: 'shared state for several edges/workers: redis://host:port/db (default: none, state in this process)' },
  site: { env: 'TRUNKWISE_SITE', help: 'site name: edges of one site share carrier health and one prober (default default)' },
  workers: { env: 'TRUNKWISE_WORKERS', help: 'app processes on one SIP engine; >1 shares state through --redis (a local redis-server when unset) (default 1)' },
  'cap-lease-ms': { env: 'TRUNKWISE_CAP_LEASE_MS', help: 'lease of a carrier cap slot: a crashed worker\'s or edge\'s calls free within it (default 15000)' },
};

/** Settings read from the environment only: secrets never go on a command line (visible in `ps`). */
const ENV_ONLY: Record<string, string> = {
  TRUNKWISE_ADMIN_TOKEN: 'bearer token for state-changing admin calls (drain, undrain, disable, enable, reload); refused while unset',
  TRUNKWISE_IVR_AUTH: 'user:password,… — INVITEs must also pass digest authentication; the user names the source for routes',
  DRACHTIO_HOST: 'external drachtio-server host (setting it selects --engine external)',
  DRACHTIO_PORT: 'external drachtio-server admin port (default 9022)',
  DRACHTIO_SECRET: 'external drachtio-server shared secret (required with DRACHTIO_HOST)',
};

export const USAGE = `usage: npm start -- [--option value]…\n${Object.entries(OPTIONS).map(([k, v]) => `  --${k.padEnd(20)} ${v.env.padEnd(30)} ${v.help}`).join('\n')}`;

/** The full `--help` text: every option with its environment name, then the environment-only settings. */
export const HELP = `${USAGE}
  --help, -h             print this and exit

Every option can also be set in the environment (second column); the command line wins.
Environment only:
${Object.entries(ENV_ONLY).map(([k, v]) => `  ${k.padEnd(53)} ${v}`).join('\n')}`;

/** `--help` / `-h` anywhere among the arguments: print HELP before anything is set up. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

export function parseHostPort(s: string, what: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s.trim());
  if (!m || Number(m[2]) > 65535) throw new Error(`${what}: "${s}" is not host:port (e.g. 127.0.0.1:5060)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function loadSettings(argv: string[], rawEnv: Readonly<Record<string, string | undefined>>): { settings: Settings; secrets: Secrets } {
  // `NAME=` (an EnvironmentFile or compose line left empty) means unset, as in most daemons: an empty
  // TRUNKWISE_ALLOW must not silently refuse every IVR, an empty DRACHTIO_HOST not select an external engine.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''));
  const given: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new Error(HELP);
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !OPTIONS[m[1]!]) throw new Error(`unknown option "${a}"\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value.trim() === '') throw new Error(`--${m[1]} needs a value\n${USAGE}`);
    given[m[1]!] = value;
  }
  const get = (k: string, dflt: string): string => given[k] ?? env[OPTIONS[k]!.env] ?? dflt;
  const num = (k: string, dflt: number): number => {
    const v = Number(get(k, String(dflt)));
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} / ${OPTIONS[k]!.env} must be a positive number`);
    return v;
  };
  const engine = get('engine', env.DRACHTIO_HOST ? 'external' : 'embedded');
  if (engine !== 'embedded' && engine !== 'external') throw new Error(`--engine must be embedded or external, not "${engine}"`);
  const secret = env.DRACHTIO_SECRET ?? (engine === 'embedded' ? randomSecret() : undefined);
  if (!secret) throw new Error('DRACHTIO_SECRET must be set in the environment to connect to an external drachtio-server');
  const engineThread = get('engine-thread', 'off');
  if (engineThread !== 'on' && engineThread !== 'off') throw new Error(`--engine-thread / TRUNKWISE_ENGINE_THREAD must be on or off, not "${engineThread}"`);
  const sip = parseHostPort(get('sip', '127.0.0.1:5060'), '--sip');
  const foreign = get('foreign', 'reject');
  if (foreign !== 'reject' && foreign !== 'drop') throw new Error(`--foreign / TRUNKWISE_FOREIGN must be reject or drop, not "${foreign}"`);
  const mediaAddress = get('media-address', sip.host);
  if (!isIP(mediaAddress)) throw new Error(`--media-address / TRUNKWISE_MEDIA_ADDRESS: "${mediaAddress}" is not an IP address`);
  const advertise = get('media-advertise', mediaAddress);
  if (!isIP(advertise)) throw new Error(`--media-advertise / TRUNKWISE_MEDIA_ADVERTISE: "${advertise}" is not an IP address`);
  const ports = /^(\d{1,5})-(\d{1,5})$/.exec(get('rtp-ports', '40000-49999'));
  if (!ports || Number(ports[1]) % 2 !== 0 || Number(ports[2]) > 65535 || Number(ports[2]) - Number(ports[1]) < 3) {
    throw new Error('--rtp-ports / TRUNKWISE_RTP_PORTS must be MIN-MAX with an even MIN and room for two port pairs, e.g. 40000-49999');
  }
  const rtpe = get('rtpengine', 'embedded');
  const media: MediaSettings = {
    bindAddress: mediaAddress, advertisedAddress: advertise, portRange: { min: Number(ports[1]), max: Number(ports[2]) },
    rtpengine: rtpe === 'embedded' || rtpe === 'off' ? rtpe : parseHostPort(rtpe, '--rtpengine'),
  };
  return {
    settings: {
      carriersFile: get('carriers', 'carriers.yaml'),
      routesDir: get('routes', 'routes'),
      sip,
      http: parseHostPort(get('http', '127.0.0.1:8080'), '--http'),
      engine,
      engineThread: engineThread === 'on',
      drachtio: { host: env.DRACHTIO_HOST ?? '127.0.0.1', port: Number(env.DRACHTIO_PORT ?? 9022) },
      allow: get('allow', '127.0.0.0/8').split(',').map((s) => s.trim()).filter(Boolean),
      foreign,
      maxCps: num('max-cps', 500),
      maxCpsPerSource: num('max-cps-per-source', 300),
      authRealm: get('auth-realm', 'trunkwise'),
      media,
      logLevel: get('log-level', 'info'),
      redis: redisUrl(given.redis ?? env.TRUNKWISE_REDIS),
      site: site(get('site', 'default')),
      workers: workers(get('workers', '1')),
      capLeaseMs: capLease(get('cap-lease-ms', '15000')),
    },
    secrets: { drachtioSecret: secret, adminToken: env.TRUNKWISE_ADMIN_TOKEN || undefined, ivrAuth: env.TRUNKWISE_IVR_AUTH || undefined },
  };
}

function redisUrl(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^rediss?:\/\/[^\s/]+(\/\d+)?$/.test(v)) throw new Error(`--redis / TRUNKWISE_REDIS: "${v}" is not redis://host:port/db (e.g. redis://127.0.0.1:6379/0)`);
  return v;
}

function site(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(v)) throw new Error(`--site / TRUNKWISE_SITE: "${v}" must be letters, digits, '.', '_' or '-' (e.g. east)`);
  return v;
}

function workers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers / TRUNKWISE_WORKERS: "${v}" must be a whole number from 1 to 64`);
  return n;
}

function capLease(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1000 || n > 600_000) throw new Error(`--cap-lease-ms / TRUNKWISE_CAP_LEASE_MS: "${v}" must be whole milliseconds from 1000 to 600000`);
  return n;
}

/** The embedded engine's wire secret never leaves the process, so a fresh random one is used. */
function randomSecret(): string {
  return randomBytes(16).toString('hex');
}
