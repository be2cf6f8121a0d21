/** Command line of `npm run sim`, parsed without side effects (unit-tested). */
import { checkRange } from './rtp/ports';
import type { ListenTransport } from './transport';

export interface CliOptions {
  carriersFile: string;
  /** undefined = no control API (`--http none`). */
  http: { host: string; port: number } | undefined;
  /** `--set id:key=value,key=value`, in order; values still unvalidated. */
  sets: { id: string; patch: Record<string, string | number> }[];
  logLevel: string;
  transport: ListenTransport;
  seed: number | undefined;
  /** `--rtp-ports MIN-MAX`; undefined = the default range. */
  rtpPorts?: { min: number; max: number };
  help: boolean;
}

export const USAGE = `usage: npm run sim -- [options]
  --carriers FILE        carriers.yaml to read ids and uri host:port from (default carriers.yaml)
  --http HOST:PORT|none  control API address (default 127.0.0.1:8090)
  --set ID:KEY=V[,KEY=V] initial behaviour, repeatable, e.g. --set carrier-b:mode=reject,rejectCode=503
                         keys: mode, rejectCode, ringMs, holdMs, extraDelayMs, dropPercent, optionsCode,
                         rtp (off|echo|send), rtpDropPercent, rtpJitterMs
  --transport udp|tcp|both  sockets per carrier (default both, on the same port)
  --seed N               PRNG seed for dropPercent (and the RTP impairments)
  --rtp-ports MIN-MAX    UDP range for carrier RTP/RTCP pairs (default 22000-25999)
  --log-level LEVEL      pino level (default info)`;

export type CliResult = { ok: true; options: CliOptions } | { ok: false; errors: string[] };

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function parseCliArgs(argv: readonly string[]): CliResult {
  const o: CliOptions = {
    carriersFile: 'carriers.yaml', http: { host: '127.0.0.1', port: 8090 }, sets: [], logLevel: 'info', transport: 'both', seed: undefined, help: false,
  };
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === '--help' || name === '-h') {
      o.help = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) {
      errors.push(`${name} needs a value`);
      continue;
    }
    switch (name) {
      case '--carriers': o.carriersFile = value; break;
      case '--http': {
        if (value === 'none') o.http = undefined;
        else {
          const hp = parseHostPort(value);
          if (hp) o.http = hp;
          else errors.push(`--http "${value}" is not HOST:PORT (e.g. 127.0.0.1:8090) or none`);
        }
        break;
      }
      case '--set': {
        const s = parseSet(value);
        if (typeof s === 'string') errors.push(s);
        else o.sets.push(s);
        break;
      }
      case '--log-level':
        if (LOG_LEVELS.has(value)) o.logLevel = value;
        else errors.push(`--log-level "${value}" is not one of ${[...LOG_LEVELS].join('|')}`);
        break;
      case '--transport':
        if (value === 'udp' || value === 'tcp' || value === 'both') o.transport = value;
        else errors.push(`--transport "${value}" is not udp|tcp|both`);
        break;
      case '--seed':
        if (/^\d{1,10}$/.test(value)) o.seed = Number(value);
        else errors.push(`--seed "${value}" is not a non-negative integer`);
        break;
      case '--rtp-ports': {
        const m = /^(\d{4,5})-(\d{4,5})$/.exec(value);
        const range = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
        const problem = range ? checkRange(range) : `--rtp-ports "${value}" is not MIN-MAX (e.g. 22000-25999)`;
        if (problem || !range) errors.push(problem ?? '--rtp-ports: no range');
        else o.rtpPorts = range;
        break;
      }
      default:
        errors.push(`unknown option ${name}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, options: o };
}

export function parseHostPort(v: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `carrier-b:mode=reject,rejectCode=503` → { id, patch } (numbers where the value is numeric). */
export function parseSet(v: string): { id: string; patch: Record<string, string | number> } | string {
  const colon = v.indexOf(':');
  if (colon <= 0) return `--set "${v}" must be ID:KEY=VALUE[,KEY=VALUE]`;
  const id = v.slice(0, colon);
  const patch: Record<string, string | number> = {};
  for (const pair of v.slice(colon + 1).split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--set "${v}": "${pair}" is not KEY=VALUE`;
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    patch[key] = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return { id, patch };
}
