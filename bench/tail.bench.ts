/**
 * Where trunkwise's setup-latency tail and memory come from (issue 11): the e2e step (same SIPp caller,
 * carriers, capture and CPU/PSS sampling as bench/e2e.bench.ts) run on trunkwise with
 * bench/lib/loop-probe.mjs preloaded, for several node configurations — semi-space sizes, sources
 * under tsx vs the compiled build — alternated over rounds, since the machine is shared. Per step:
 * setup p50/p99/p99.9, CPU, PSS, GC pauses, main-thread stalls, and how many slow calls overlap them.
 * Optionally a heap snapshot in the middle of one step, summarised by object group and retainer.
 * Usage: npx tsx bench/tail.bench.ts [--rates 200,400] [--step-seconds 10] [--semi 16,64]
 *          [--builds sources,dist] [--flags 'SET|SET'] [--warmup-seconds 10] [--rounds 1] [--heap-at RATE] [--out FILE.json]
 * --flags: sets of extra node flags to compare, `|` between sets, e.g. `|--heap-growing-percent=50`
 * (the empty set first: no extra flag). --warmup-seconds: unmeasured calls at 100/s after each
 * start, as bench/e2e.bench.ts does (0: none; the first step then measures a cold process).
 * HEAP_OUT=FILE keeps the --heap-at snapshot (bench/lib/heap-retained.ts reads it).
 * Long: wrap in flock /tmp/trunkwise-heavy.lock. Prints markdown; --out also writes the JSON.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E2E_DEFAULTS, runStep, smokeCheck, stepLine, warmUp, type StepResult } from './e2e.bench';
import { buildOnce } from './lib/build';
import { startCarriers } from './lib/carriers';
import { heapTable, type HeapSummary } from './lib/heap-summary';
import { say, sleep } from './lib/log';
import type { CallSetup } from './lib/setup-latency';
import { analyseTail, readProbe, SLOW_MS, type TailAnalysis } from './lib/tail-analysis';
import { startTrunkwise } from './lib/trunkwise-sut';

const ROOT = path.join(__dirname, '..');

interface Config { semiSpaceMb: number; build: 'sources' | 'dist'; flags: string }

const label = (c: Config): string => `semi ${c.semiSpaceMb} MB, ${c.build}${c.flags ? `, ${c.flags}` : ''}`;
interface TailStep { config: Config; round: number; step: StepResult; tail?: TailAnalysis; heap?: HeapSummary }

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] ?? dflt : dflt;
}

async function runConfig(c: Config, round: number, rates: number[], stepSeconds: number, distDir: string | undefined, heapAt: number, warmupSeconds: number): Promise<TailStep[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-tail-'));
  const probeFile = path.join(dir, 'probe.jsonl');
  const carriers = await startCarriers();
  const out: TailStep[] = [];
  try {
    const sut = await startTrunkwise({
      carriers: carriers.list, dir, probeFile, semiSpaceMb: c.semiSpaceMb, nodeFlags: c.flags.split(/\s+/).filter(Boolean),
      ...(c.build === 'dist' && distDir && { distDir }), ...(heapAt > 0 && { heapSnapshotDir: dir }),
    });
    try {
      const smoke = await smokeCheck(sut, carriers);
      if (smoke.successful !== smoke.calls) throw new Error(`smoke check ${smoke.successful}/${smoke.calls}`);
      const o = { ...E2E_DEFAULTS, stepSeconds };
      if (warmupSeconds > 0) await warmUp(sut, E2E_DEFAULTS.warmup.cps, warmupSeconds, o.holdMs);
      for (const rate of rates) {
        let setups: readonly CallSetup[] = [];
        const snap = rate === heapAt
          ? setTimeout(() => { for (const pid of sut.pids()) process.kill(pid, 'SIGUSR2'); }, (stepSeconds * 1000) / 2 + 1000)
          : undefined;
        const step = await runStep(sut, carriers, rate, o, dir, (s) => { setups = s; });
        clearTimeout(snap);
        await sleep(1200); // the probe flushes once a second
        const tail = analyseTail(setups, readProbe(probeFile));
        const snapFile = rate === heapAt ? readdirSync(dir).find((f) => f.endsWith('.heapsnapshot')) : undefined;
        const heap = snapFile ? summariseHeapInChild(path.join(dir, snapFile)) : undefined;
        if (snapFile && process.env.HEAP_OUT) copyFileSync(path.join(dir, snapFile), process.env.HEAP_OUT);
        out.push({ config: c, round, step, ...(tail && { tail }), ...(heap && { heap }) });
        say(`  [${label(c)}, round ${round}] ${stepLine(step)}`);
        if (tail) say(`    ${tailLine(tail)}`);
        await sleep(2000);
      }
    } finally {
      await sut.stop();
    }
  } finally {
    await carriers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** The snapshot parse needs GBs: its own node process. */
function summariseHeapInChild(file: string): HeapSummary | undefined {
  const code = `const { summariseHeap } = require(${JSON.stringify(path.join(__dirname, 'lib', 'heap-summary.ts'))}); process.stdout.write(JSON.stringify(summariseHeap(process.argv[1], 25)));`;
  try {
    const json = execFileSync(process.execPath, ['--max-old-space-size=12000', '--import', 'tsx', '-e', code, file], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).toString();
    return JSON.parse(json) as HeapSummary;
  } catch (err) {
    say(`heap summary failed: ${(err as Error).message}`);
    return undefined;
  }
}

function tailLine(t: TailAnalysis): string {
  return `slow (> ${SLOW_MS} ms) ${t.slowCalls}: with GC ≥ 5 ms ${t.slowWithGc}, with stall ≥ 10 ms ${t.slowWithStall}; `
    + `scavenges ${t.scavenges.n} (p50 ${t.scavenges.ms?.p50 ?? '-'} / max ${t.scavenges.ms?.max ?? '-'} ms), mark-compacts ${t.markCompacts.n} (max ${t.markCompacts.ms?.max ?? '-'} ms), `
    + `other GC ${t.otherGc.n} / ${t.otherGc.totalMs} ms, GC total ${t.gcTotalMs} ms; stalls ${t.stalls.n} (> 50 ms: ${t.stalls.over50}, max ${t.stalls.ms?.max ?? '-'} ms, `
    + `${t.stallMsWithoutGc} ms not GC); loop delay p99 ≤ ${t.eldP99MaxMs}, max ${t.eldMaxMs} ms; heap used ≤ ${t.heapUsedMaxMiB} / total ${t.heapTotalMaxMiB} MiB, new space ${t.newSpaceMiB} MiB, RSS ${t.rssMaxMiB} MiB, array buffers ${t.arrayBuffersMaxMiB} MiB; `
    + `slowest 1 %: ${t.p99Tail.calls} calls, ${t.p99Tail.withAnyGc} with a GC pause inside, median ${t.p99Tail.extraMsP50} ms over the step's median of which GC ${t.p99Tail.gcMsInsideP50} ms; `
    + `worst 100 ms windows ${t.worst.map((w) => `${w.atS}s:${w.setupMs}ms(gc ${w.gcMs}, stall ${w.stallMs})`).join(' ')}`;
}

export function tailTable(steps: readonly TailStep[]): string[] {
  const rows = steps.map((s) => {
    const l = s.step.capture.latencyMs;
    const t = s.tail;
    return `| ${s.config.semiSpaceMb} | ${s.config.build}${s.config.flags ? ` ${s.config.flags}` : ''} | ${s.round} | ${s.step.offeredCps} | ${s.step.sipp.successful}/${s.step.calls} | ${l ? `${l.p50} / ${l.p99} / ${l.p999}` : '-'} `
      + `| ${s.step.cpu.sutCpuMsPerCall} | ${s.step.cpu.sutPct} | ${s.step.sutPssMiB} | ${t ? `${t.scavenges.n} / ${t.scavenges.ms?.p50 ?? '-'} / ${t.scavenges.ms?.max ?? '-'}` : '-'} `
      + `| ${t ? `${t.markCompacts.n} / ${t.markCompacts.ms?.max ?? '-'}` : '-'} | ${t?.gcTotalMs ?? '-'} | ${t ? `${t.stalls.n} / ${t.stalls.ms?.max ?? '-'} / ${t.stallMsWithoutGc}` : '-'} `
      + `| ${t ? `${t.slowCalls} / ${t.slowWithGc} / ${t.slowWithStall}` : '-'} | ${t ? `${t.heapUsedMaxMiB} / ${t.arrayBuffersMaxMiB}` : '-'} |`;
  });
  return [
    `| semi MB | build | round | cps | ok | setup p50 / p99 / p99.9 ms | CPU ms/call | CPU % | PSS MiB | scavenges n / p50 / max ms | mark-compacts n / max ms | GC ms | stalls ≥ 10 ms n / max / ms not GC | slow > ${SLOW_MS} ms / with GC / with stall | heap used / array buffers MiB |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

async function main(): Promise<void> {
  const rates = arg('--rates', '200,400').split(',').map(Number);
  const stepSeconds = Number(arg('--step-seconds', '10'));
  const semis = arg('--semi', '64').split(',').map(Number);
  const builds = arg('--builds', 'sources').split(',') as Config['build'][];
  const flagSets = arg('--flags', '').split('|').map((f) => f.trim());
  const warmupSeconds = Number(arg('--warmup-seconds', '10'));
  const rounds = Number(arg('--rounds', '1'));
  const heapAt = Number(arg('--heap-at', '0'));
  const outFile = process.argv.includes('--out') ? arg('--out', '') : undefined;
  const build = builds.includes('dist') ? buildOnce() : undefined;
  const all: TailStep[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order each round so neither configuration always runs first.
      const configs = semis.flatMap((semiSpaceMb) => builds.flatMap((b) => flagSets.map((flags) => ({ semiSpaceMb, build: b, flags }))));
      if (round % 2 === 0) configs.reverse();
      for (const c of configs) all.push(...(await runConfig(c, round, rates, stepSeconds, build?.dir, heapAt, warmupSeconds)));
    }
  } finally {
    build?.remove();
  }
  console.log(tailTable(all).join('\n'));
  for (const s of all) if (s.heap) console.log(`\n${label(s.config)} at ${s.step.offeredCps} calls/s:\n${heapTable(s.heap).join('\n')}`);
  if (outFile) writeFileSync(outFile, JSON.stringify(all, null, 1));
}

if (require.main === module) void main();
