/**
 * The benchmark runner (issue 6): `npm run bench [-- options]`. Installs what it needs, prints the
 * machine and the method, runs the parts one at a time and writes bench/results/ (markdown, JSON,
 * PNG plots, summary.md).
 *
 *   --only e2e,failover,routing,profile,flood   parts to run (default: all; profile runs when trunkwise is behind)
 *                                         outage-lab: only when named (root, ~7 min; bench/outage-lab.bench.ts)
 *   --quick                               short ramp and failover, for smoke runs (results to a temp dir)
 *   --rates 200,400,…                     the e2e ramp (calls/s)
 *   --max-cps N                           drop ramp steps above N
 *   --step-seconds N                      seconds per ramp step (default 10)
 *   --systems trunkwise,kamailio          which systems (default both)
 *   --kamailio-children N                 Kamailio UDP workers (default: number of cores)
 *   --out DIR                             results directory (default bench/results)
 *   --keep                                keep the failover capture / work files
 *   --warmup-seconds N                    e2e: unmeasured calls before the ramp (default 10 s at 100 calls/s)
 *   --trunkwise-build dist|sources        e2e: the compiled build (as production, default) or the sources under tsx
 *   -h, --help                            every option with its default and run time (OPTION_SPECS)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E2E_DEFAULTS, runE2e, type E2eOptions, type SystemRun } from './e2e.bench';
import { FAILOVER_DEFAULTS, runFailover, type FailoverOptions } from './failover.bench';
import { FLOOD_DEFAULTS, runFlood, writeFlood } from './flood.bench';
import { runProfile, type ProfileRun } from './profile.bench';
import { runRoutingBench } from './routing.bench';
import { runWorkers, writeWorkers, WORKERS_DEFAULTS } from './workers.bench';
import { runOutageLab } from './outage-lab.bench';
import { writeE2e, writeProfile } from './lib/e2e-report';
import { writeFailover } from './lib/failover-report';
import { machineInfo, machineLine, toolVersions } from './lib/machine';
import { say } from './lib/log';
import { killAll, stillRunning } from './lib/procs';
import { writeSummary } from './lib/summary';
import type { SutName } from './lib/sut';

const PARTS = ['routing', 'e2e', 'profile', 'failover', 'flood', 'workers', 'outage-lab'] as const;
/** Parts run only when named in --only (long, about one feature, or needing root). */
const ON_REQUEST: readonly string[] = ['workers', 'outage-lab'];
type Part = (typeof PARTS)[number];

interface Options {
  only: Set<Part>;
  profileForced: boolean;
  quick: boolean;
  e2e: E2eOptions;
  failover: FailoverOptions;
  out: string;
}

/**
 * Every option the runner takes: its value, default, meaning and what it does to the run time.
 * `-h` / `--help` prints this table; anything not in it is refused before anything starts.
 */
const OPTION_SPECS: readonly { name: string; value?: string; dflt: string; help: string; time?: string }[] = [
  { name: 'only', value: 'PARTS', dflt: PARTS.filter((p) => !ON_REQUEST.includes(p)).join(','), help: `parts to run, comma-separated (${PARTS.join(', ')}); profile runs when trunkwise is behind or when named; workers (--workers 1 vs 2, ~3 min) and outage-lab (root, network namespaces, ~7 min) only when named`, time: 'routing ~20 s · e2e ~2–3 min per system · failover ~50 s per system · profile ~30 s' },
  { name: 'quick', dflt: 'off', help: 'short ramp (100, 300 calls/s × 4 s) and failover; results to a temp folder, bench/results untouched', time: 'about 1.5 min in all' },
  { name: 'rates', value: 'N,N,…', dflt: E2E_DEFAULTS.rates.join(','), help: 'the e2e ramp, calls/s (stops after 2 failing steps)', time: '~(step-seconds + 5) s per step and system' },
  { name: 'max-cps', value: 'N', dflt: 'none', help: 'drop ramp steps above N calls/s', time: 'shorter ramp' },
  { name: 'step-seconds', value: 'N', dflt: String(E2E_DEFAULTS.stepSeconds), help: 'seconds per ramp step, 1–120', time: 'scales the e2e part' },
  { name: 'systems', value: 'LIST', dflt: E2E_DEFAULTS.systems.join(','), help: 'trunkwise and/or kamailio', time: 'one system halves e2e and failover' },
  { name: 'kamailio-children', value: 'N', dflt: 'number of cores', help: "Kamailio's UDP workers" },
  { name: 'out', value: 'DIR', dflt: 'bench/results', help: 'results folder (markdown, JSON, PNG plots, summary.md)' },
  { name: 'keep', dflt: 'off', help: 'keep the failover capture and work files' },
  { name: 'warmup-seconds', value: 'N', dflt: String(E2E_DEFAULTS.warmup.seconds), help: `e2e: unmeasured calls at ${E2E_DEFAULTS.warmup.cps} calls/s before the ramp, both systems (0: none; a cold trunkwise measures its JIT warm-up)`, time: 'N + 5 s per system' },
  { name: 'trunkwise-build', value: 'dist|sources', dflt: E2E_DEFAULTS.trunkwiseBuild, help: 'e2e: trunkwise compiled as the Docker image runs it (npm run build into a temp dir, once per run) or its sources under tsx', time: 'dist adds one build (~1 min)' },
];

export const BENCH_HELP = `usage: npm run bench -- [options]
SIPp load on trunkwise and Kamailio side by side (scripts/setup.sh bench installs SIPp, Kamailio and
tshark first). A full run takes about 7 minutes on 2 cores and rewrites bench/results/; on a shared
machine wrap it in flock. Options (default in brackets):
${OPTION_SPECS.map((o) => `  --${`${o.name}${o.value ? ` ${o.value}` : ''}`.padEnd(26)} ${o.help} [${o.dflt}]${o.time ? `\n${' '.repeat(31)}run time: ${o.time}` : ''}`).join('\n')}
  -h, --help                   print this and exit`;

/** A command line the runner cannot honour: refused with the reason before anything starts. */
class UsageError extends Error {}

/** argv → option values; `help` when asked for; UsageError for anything unknown or incomplete. */
function readArgv(argv: readonly string[]): { help: true } | { help: false; values: Map<string, string> } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return { help: true };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    const spec = m ? OPTION_SPECS.find((o) => o.name === m[1]) : undefined;
    if (!m || !spec) throw new UsageError(a.startsWith('-') ? `unknown option "${a}"` : `unexpected argument "${a}"`);
    if (!spec.value) {
      if (m[2] !== undefined) throw new UsageError(`--${spec.name} takes no value`);
      values.set(spec.name, 'true');
      continue;
    }
    const v = m[2] ?? argv[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`--${spec.name} needs a value (${spec.value})`);
    values.set(spec.name, v);
  }
  return { help: false, values };
}

function parseArgs(argv: string[]): Options | 'help' {
  const r = readArgv(argv);
  if (r.help) return 'help';
  const get = (name: string): string | undefined => r.values.get(name);
  const quick = r.values.has('quick');
  const only = get('only')?.split(',').map((s) => s.trim()) ?? PARTS.filter((p) => !ON_REQUEST.includes(p));
  for (const p of only) if (!(PARTS as readonly string[]).includes(p)) throw new UsageError(`--only: unknown part "${p}" (known: ${PARTS.join(', ')})`);
  const systems = (get('systems')?.split(',') ?? E2E_DEFAULTS.systems) as SutName[];
  for (const s of systems) if (s !== 'trunkwise' && s !== 'kamailio') throw new UsageError(`--systems: unknown system "${s}"`);
  const maxCps = Number(get('max-cps') ?? Infinity);
  if (Number.isNaN(maxCps)) throw new UsageError('--max-cps: a number of calls/s');
  let rates = get('rates')?.split(',').map(Number) ?? (quick ? [100, 300] : E2E_DEFAULTS.rates);
  if (rates.some((x) => !Number.isFinite(x))) throw new UsageError('--rates: comma-separated numbers of calls/s');
  rates = rates.filter((x) => x > 0 && x <= maxCps);
  const stepSeconds = Number(get('step-seconds') ?? (quick ? 4 : E2E_DEFAULTS.stepSeconds));
  if (!(stepSeconds > 0 && stepSeconds <= 120)) throw new UsageError('--step-seconds: 1–120');
  const children = Number(get('kamailio-children') ?? os.cpus().length);
  if (!(Number.isInteger(children) && children > 0)) throw new UsageError('--kamailio-children: a positive integer');
  const keepFiles = r.values.has('keep');
  const warmupSeconds = Number(get('warmup-seconds') ?? (quick ? 0 : E2E_DEFAULTS.warmup.seconds));
  if (!(Number.isInteger(warmupSeconds) && warmupSeconds >= 0 && warmupSeconds <= 120)) throw new UsageError('--warmup-seconds: 0–120');
  const trunkwiseBuild = get('trunkwise-build') ?? E2E_DEFAULTS.trunkwiseBuild;
  if (trunkwiseBuild !== 'dist' && trunkwiseBuild !== 'sources') throw new UsageError('--trunkwise-build: dist or sources');
  return {
    only: new Set(only as Part[]),
    profileForced: get('only')?.includes('profile') ?? false,
    quick,
    e2e: { ...E2E_DEFAULTS, systems, rates, stepSeconds, kamailioChildren: children, keepFiles, trunkwiseBuild, warmup: { ...E2E_DEFAULTS.warmup, seconds: warmupSeconds } },
    failover: { ...FAILOVER_DEFAULTS, systems, kamailioChildren: children, keepFiles, ...(quick && { warmS: 4, silentS: 6, afterS: 8 }) },
    out: path.resolve(get('out') ?? (quick ? mkdtempSync(path.join(os.tmpdir(), 'trunkwise-bench-quick-')) : path.join(__dirname, 'results'))),
  };
}

/** Plain-language reading of the e2e numbers, written under the result table. */
function e2eAnalysis(runs: readonly SystemRun[], cores: number): string[] {
  const out: string[] = [];
  for (const r of runs) {
    const last = r.steps[r.steps.length - 1];
    const best = r.steps.filter((s) => s.sustained).pop();
    if (!last) continue;
    const gen = r.steps.find((s) => s.cpu.uacPct > 90);
    const clean = r.steps.filter((s) => s.sustained && s.sipp.retransmissions === 0 && s.carriers.retransmissions === 0).pop();
    out.push(`${r.system === 'trunkwise' ? 'trunkwise' : 'Kamailio'}: highest clean step (sustained, 0 retransmissions) ${clean ? `${clean.offeredCps} calls/s` : 'none'}; ${best ? `sustained ${best.offeredCps} calls/s at ${best.cpu.sutPct} % CPU (${best.cpu.sutCpuMsPerCall} ms CPU per call)` : 'sustained no step'}; `
      + (last.sustained ? `the ramp ended at ${last.offeredCps} calls/s without failing (the ramp's top, not the system's limit).` : `at ${last.offeredCps} calls/s: ${last.sipp.failed} failed, ${last.sipp.unfinished} unfinished, ${last.sipp.retransmissions} caller retransmissions, CPU ${last.cpu.sutPct} %.`)
      + (gen ? ` The SIPp caller used > 90 % of a core from ${gen.offeredCps} calls/s: there the load generator, not only the system, limits what is offered.` : ''));
  }
  const sumCpu = (s: SystemRun['steps'][number]): number => s.cpu.sutPct + s.cpu.uacPct + s.cpu.carriersPct + s.cpu.dumpcapPct + s.cpu.runnerPct;
  const busy = runs.flatMap((r) => r.steps).filter((s) => sumCpu(s) > cores * 100 * 0.9);
  if (busy.length) out.push(`At ${busy.map((s) => `${s.system} ${s.offeredCps}`).join(', ')} calls/s the machine's ${cores} cores were ≥ 90 % busy in total (system + SIPp + capture + runner).`);
  return out;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o === 'help') {
    console.log(BENCH_HELP);
    return;
  }
  const t0 = Date.now();
  say('trunkwise benchmark runner — installing what it needs (scripts/setup.sh bench: sip-tester, kamailio, tshark; idempotent)');
  const setup = spawnSync('bash', [path.join(__dirname, '..', 'scripts', 'setup.sh'), 'bench'], { stdio: 'inherit', timeout: 600_000 });
  if (setup.status !== 0) throw new Error('scripts/setup.sh bench failed');
  const m = { ...machineInfo(), tools: toolVersions() };
  say(`machine: ${machineLine(m)}`);
  say(`parts: ${[...o.only].join(', ')}${o.quick ? ' (quick)' : ''}; results → ${o.out}`);
  say('method: SIPp caller → system under test → five SIPp carriers on 127.0.0.1; trunkwise and Kamailio one after the other with the same load; '
    + 'CPU from /proc/PID/task/*/schedstat; setup latency from a dumpcap capture on lo; details in each results file');
  mkdirSync(o.out, { recursive: true });

  if (o.only.has('routing')) {
    say('routing: the decision function alone (matchRoute + rankCarriers), 5 / 50 / 500 carriers');
    runRoutingBench(o.out);
  }
  let runs: SystemRun[] | undefined;
  let profile: ProfileRun | undefined;
  if (o.only.has('e2e')) {
    say(`e2e: ramp ${o.e2e.rates.join(', ')} calls/s × ${o.e2e.stepSeconds} s per step, hold ${o.e2e.holdMs} ms, systems ${o.e2e.systems.join(' then ')}; Kamailio with ${o.e2e.kamailioChildren} workers`);
    runs = await runE2e(o.e2e);
  }
  const tw = runs?.find((r) => r.system === 'trunkwise');
  const ka = runs?.find((r) => r.system === 'kamailio');
  const behind = tw && ka && tw.maxSustainableCps < ka.maxSustainableCps;
  if (o.only.has('profile') && (behind || o.profileForced)) {
    const rate = Math.max(100, tw?.maxSustainableCps ?? 300);
    say(`profile: trunkwise is ${behind ? 'behind Kamailio' : 'profiled on request'}; node --cpu-prof at ${rate} calls/s`);
    profile = await runProfile(rate, o.quick ? 5 : 10);
    writeProfile(o.out, m, profile);
    say(`profile: wrote ${o.out}/profile.md, profile.json`);
  }
  if (runs) {
    await writeE2e(o.out, m, o.e2e, runs, profile, e2eAnalysis(runs, m.cores));
    say(`e2e: wrote ${o.out}/e2e.md, e2e.json, e2e-latency.png, e2e-cpu.png`);
  }
  if (o.only.has('failover')) {
    say(`failover: ${o.failover.rate} calls/s, hold ${o.failover.holdMs} ms; ${o.failover.carrier} silenced ${o.failover.silentS} s`);
    const fo = await runFailover(o.failover);
    await writeFailover(o.out, m, o.failover, fo);
    say(`failover: wrote ${o.out}/failover.md, failover.json, failover-timeline.png`);
  }
  if (o.only.has('flood')) {
    const fo = { ...FLOOD_DEFAULTS, systems: o.e2e.systems, ...(o.quick && { seconds: 8 }) };
    say(`flood: ${fo.rate} calls/s from the allowlist for ${fo.seconds} s per phase (${fo.systems.join(', ')}); no flood, then a foreign flood with reject and drop, the sender ${fo.flooderSched.join(' and ')}`);
    const fl = await runFlood(fo);
    writeFlood(o.out, m, fo, fl);
    say(`flood: wrote ${o.out}/flood.md, flood.json`);
  }
  if (o.only.has('workers')) {
    const wo = o.quick ? { ...WORKERS_DEFAULTS, rates: [100, 200], stepSeconds: 4 } : WORKERS_DEFAULTS;
    writeWorkers(o.out, m, wo, await runWorkers(wo));
    say(`workers: wrote ${o.out}/workers.md, workers.json`);
  }
  if (o.only.has('outage-lab')) {
    say('outage-lab: the outage lab, upstream health on then off (root, network namespaces, ~7 min)');
    const code = await runOutageLab(o.out, o.quick ? ['--short'] : []);
    say(`outage-lab: wrote ${o.out}/outage-lab.md, outage-lab.json, outage-lab-timeline.png${code === 0 ? '' : ' (calls were lost with upstream health on)'}`);
  }
  const wallS = (Date.now() - t0) / 1000;
  writeSummary(o.out, m, `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, wallS, new Date(t0).toISOString());
  say(`summary: ${o.out}/summary.md`);
  for (const r of runs ?? []) say(`  ${r.system}: max sustainable ${r.maxSustainableCps} calls/s${r.error ? ` (error: ${r.error})` : ''}`);
  if (tw && ka && ka.maxSustainableCps > 0) say(`  trunkwise / Kamailio: ${(tw.maxSustainableCps / ka.maxSustainableCps).toFixed(2)}×`);
  const left = stillRunning();
  if (left.length) say(`stopping leftovers: ${left.join(', ')}`);
  killAll();
  say(`done in ${Math.round(wallS)} s`);
}

main().catch((err: Error) => {
  if (err instanceof UsageError) {
    console.error(`bench: ${err.message}; see npm run bench -- --help`);
    process.exit(2);
  }
  console.error(`bench: ${err.message}`);
  killAll();
  process.exit(1);
});
