/** Command line of `npm run ivr`, parsed without side effects (unit-tested). */
import { parseHostPort } from '../cli-args';

export interface IvrCliOptions {
  target: string;
  localAddress: string;
  to: string;
  calls: number;
  concurrent: number;
  holdMs: number;
  rtpDrop: number;
  seed: number | undefined;
  /** Pause between call starts, ms (0 = all at once up to --concurrent). */
  intervalMs: number;
  perCall: boolean;
  logLevel: string;
  help: boolean;
}

export const IVR_USAGE = `usage: npm run ivr -- [options]
  --target HOST:PORT   SIP peer to call (trunkwise, or a simulated carrier) (default 127.0.0.1:5060)
  --local HOST         address to bind SIP/RTP on and advertise (default 127.0.0.1)
  --to USER|URI        called number (default +4930123456)
  --calls N            calls to place (default 1)
  --concurrent N       calls up at once (default 1)
  --hold-ms MS         how long each answered call stays up before the IVR's BYE (default 10000)
  --rtp-drop PCT       percentage of its own RTP packets the IVR drops (default 0)
  --interval-ms MS     pause between call starts (default 0)
  --seed N             seed of the RTP drop PRNG
  --per-call           include every call's result in the JSON
  --log-level LEVEL    pino level on stderr (default warn)`;

export type IvrCliResult = { ok: true; options: IvrCliOptions } | { ok: false; errors: string[] };

const int = (v: string, min: number, max: number): number | undefined => (/^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : undefined);

export function parseIvrArgs(argv: readonly string[]): IvrCliResult {
  const o: IvrCliOptions = {
    target: '127.0.0.1:5060', localAddress: '127.0.0.1', to: '+4930123456', calls: 1, concurrent: 1, holdMs: 10_000, rtpDrop: 0,
    seed: undefined, intervalMs: 0, perCall: false, logLevel: 'warn', help: false,
  };
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === '--help' || name === '-h') { o.help = true; continue; }
    if (name === '--per-call') { o.perCall = true; continue; }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) { errors.push(`${name} needs a value`); continue; }
    const number = (key: 'calls' | 'concurrent' | 'holdMs' | 'intervalMs', min: number, max: number): void => {
      const n = int(value, min, max);
      if (n === undefined) errors.push(`${name} "${value}" must be an integer ${min}–${max}`);
      else o[key] = n;
    };
    switch (name) {
      case '--target':
        if (parseHostPort(value)) o.target = value;
        else errors.push(`--target "${value}" is not HOST:PORT`);
        break;
      case '--local': o.localAddress = value; break;
      case '--to': o.to = value; break;
      case '--calls': number('calls', 1, 1_000_000); break;
      case '--concurrent': number('concurrent', 1, 5000); break;
      case '--hold-ms': number('holdMs', 0, 3_600_000); break;
      case '--interval-ms': number('intervalMs', 0, 3_600_000); break;
      case '--rtp-drop': {
        const n = Number(value);
        if (value.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 100) o.rtpDrop = n;
        else errors.push(`--rtp-drop "${value}" must be a number 0–100`);
        break;
      }
      case '--seed': {
        const n = int(value, 0, 2 ** 31 - 1);
        if (n === undefined) errors.push(`--seed "${value}" is not a non-negative integer`);
        else o.seed = n;
        break;
      }
      case '--log-level': o.logLevel = value; break;
      default: errors.push(`unknown option ${name}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, options: o };
}
