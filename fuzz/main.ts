/**
 * `npm run fuzz -- [--seed N] [--messages N] [--seconds N] [--rate N] [--legit-rate N] [--settle N] [--out DIR]`
 * A bounded, seeded network mutation fuzzer against the running edge (see fuzz/run.ts). Prints the
 * method, the machine and the results; writes bench/results/fuzz.md + .json (or to --out).
 */
import { mkdtempSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineInfo } from '../bench/lib/machine';
import { runFuzz, type FuzzOptions } from './run';
import { writeReport } from './report';

const USAGE = `npm run fuzz -- [--seed N] [--messages N] [--seconds N] [--rate N] [--legit-rate N] [--settle N] [--out DIR]
  --seed N        PRNG seed (default 1); the same seed sends the same messages
  --messages N    stop after N fuzzed messages (default 1000000)
  --seconds N     stop after N seconds of fuzzing (default 1500)
  --rate N        fuzzed messages per second (default 700)
  --legit-rate N  legitimate SIPp calls per second alongside (default 10)
  --settle N      seconds to wait after the run before counting what is left (default 45)
  --out DIR       where fuzz.md + fuzz.json go (default bench/results)
  --heap-snapshots  also write the edge's heap snapshots (start, baseline, end) to the work dir (slow)
Run it under \`flock /tmp/trunkwise-heavy.lock\` on a shared machine. See fuzz/README.md.`;

function parse(argv: string[]): { o: Omit<FuzzOptions, 'say' | 'dir'>; out: string } {
  const o = { seed: 1, messages: 1_000_000, seconds: 1500, rate: 700, legitRate: 10, settleSeconds: 45 };
  let out = path.join(__dirname, '..', 'bench', 'results');
  let heapSnapshots = false;
  const keys: Record<string, keyof typeof o> = { '--seed': 'seed', '--messages': 'messages', '--seconds': 'seconds', '--rate': 'rate', '--legit-rate': 'legitRate', '--settle': 'settleSeconds' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--heap-snapshots') heapSnapshots = true;
    else if (keys[a]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      o[keys[a]] = v;
    } else throw new Error(`unknown option ${a}`);
  }
  return { o: { ...o, heapSnapshots }, out };
}

async function main(): Promise<void> {
  const { o, out } = parse(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-fuzz-'));
  const say = (l: string): void => void process.stdout.write(`[fuzz] ${l}\n`);
  say(`seed ${o.seed}, ≤ ${o.messages} messages, ≤ ${o.seconds} s at ${o.rate}/s, legit ${o.legitRate} calls/s; work dir ${dir}`);
  const machine = machineInfo();
  const r = await runFuzz({ ...o, dir, say });
  mkdirSync(out, { recursive: true });
  const md = writeReport(out, machine, r, dir);
  process.stdout.write(`${md}\n`);
  process.exit(0);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
