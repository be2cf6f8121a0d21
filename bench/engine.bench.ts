/**
 * Engine benchmark (issues 2, 11): calls through the embedded engine + the minimal srf B2BUA
 * (test/apps/minimal-b2bua.ts), and how the CPU per call splits between the engine and the
 * application with drachtio-srf.
 *
 * Method: SIPp's built-in `uac` (INVITE, 100/180, 200, ACK, hold, BYE/200) calls SIPp's built-in
 * `uas` through the system over UDP on loopback. Two layouts, each a fresh start:
 *   one    engine + B2BUA in one process, over the in-process wire link (as trunkwise runs)
 *   tcp    the same over loopback TCP inside the process (how it ran before issue 11)
 *   split  the engine in one process, the B2BUA + srf in another, over loopback TCP — the engine's
 *          own CPU per call and the app + srf share, read apart from /proc schedstat
 * Rates step up, `STEP_S` seconds each; per step each process's CPU is the schedstat delta (all
 * threads) over the step, RSS at the end; the engine's transactions and dialogs are printed after
 * each step and after the ramp (polled until 0 once the 32 s windows close).
 * Max sustainable = the highest step with 0 failed calls and every call completed.
 * Usage: npx tsx bench/engine.bench.ts [rates…]   env: STEP_S (10), LAYOUTS (one,tcp,split), INGRESS (thread|inline),
 *   BUILD (dist: the engine server compiled by tsc into a temp dir, as production runs — default; sources:
 *   under tsx, whose esbuild transform names every closure with a defineProperty: more CPU and ~256 bytes
 *   more per closure), RESULTS_NAME (results file base name, default engine…), HEAP_AT=rate (a heap snapshot of the engine
 *   process at the end of that step, written to HEAP_DIR or the temp dir and summarised in the log)
 *   CPU_PROF_DIR (run the servers under node --cpu-prof, profiles written there on exit), ALLOC_PROF=FILE
 *   (every allocation sampled, collected ones too: bench/engine-server.ts), SERVER_LOG=PREFIX, NODE_FLAGS
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cpuNs, machineInfo, machineMarkdown, rssMiB } from './lib/machine';
import { runSippUac, startSippUas } from './lib/sipp-run';
import { start, stop } from './lib/procs';
import type { EngineCounts } from './lib/sut';

const STEP_S = Number(process.env.STEP_S ?? 10);
const HOLD_MS = 1000;
const RATES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const STEPS = RATES.length ? RATES : [100, 200, 300, 400, 500, 600, 800];
const LAYOUTS = (process.env.LAYOUTS ?? 'one,tcp,split').split(',') as Layout[];
const INGRESS = process.env.INGRESS === 'inline' ? 'inline' : 'thread';
/** Extra node flags for the servers, e.g. NODE_FLAGS=--max-semi-space-size=64 (step 5 of issue 11). */
const NODE_FLAGS = (process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean);
const SIP_PORT = 5360;
const WIRE_PORT = 9360;
const UAS_PORT = 5390;

type Layout = 'one' | 'tcp' | 'split';

const BUILD = process.env.BUILD === 'sources' ? 'sources' : 'dist';
let compiled: { dir: string } | undefined;

/** The whole project compiled by tsc (sources, tests' apps, benches) into a temp dir, node_modules linked beside it. */
function compile(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-engine-build-'));
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json'), '--outDir', dir, '--sourceMap', 'false'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const DESCRIBE: Record<Layout, string> = {
  one: 'engine + B2BUA in one process, in-process wire link',
  tcp: 'engine + B2BUA in one process, loopback TCP wire link',
  split: 'engine and B2BUA + srf in two processes, TCP wire link',
};

interface Step {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** CPU ms per call: the engine process (split) or the whole process (one). */
  engineMsPerCall: number;
  /** CPU ms per call of the B2BUA + srf process (split only). */
  appMsPerCall?: number;
  cpuPct: number;
  rssMiB: number;
  countsAfter?: EngineCounts;
  /** GC in the engine (or whole) process during the step, from --trace-gc: count and pause ms. */
  gc: GcTotals;
}

interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
}

interface Server {
  proc: ChildProcess;
  /** Callers waiting for the server's next JSON line, in order. */
  waiters: Array<(l: string) => void>;
  /** Running totals from the process's --trace-gc lines. */
  gc: GcTotals;
  counts(): Promise<EngineCounts | undefined>;
}

function startServer(role: 'both' | 'both-tcp' | 'engine' | 'app'): Promise<Server> {
  const prof = process.env.CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF_DIR] : [];
  const entry = compiled ? [path.join(compiled.dir, 'bench', 'engine-server.js')] : ['--import', 'tsx', path.join(__dirname, 'engine-server.ts')];
  const proc = start(`engine-server ${role}`, process.execPath, [...prof, ...NODE_FLAGS, '--trace-gc', '--expose-gc', ...entry, role, String(SIP_PORT), String(WIRE_PORT), `sip:127.0.0.1:${UAS_PORT}`, INGRESS],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: Array<(l: string) => void> = [];
  let ready: () => void = () => undefined;
  const gc: GcTotals = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 };
  // SERVER_LOG=PREFIX keeps each server's stdout (its --trace-gc lines; e.g. with NODE_FLAGS=--trace-gc-nvp) in PREFIX.ROLE.log.
  const log = process.env.SERVER_LOG ? createWriteStream(`${process.env.SERVER_LOG}.${role}.log`) : undefined;
  lines.on('line', (l) => {
    log?.write(`${l}\n`);
    if (l === 'ready') return ready();
    if (l.startsWith('{')) return waiting.shift()?.(l);
    // --trace-gc: `[pid:addr]   123 ms: Scavenge 10.1 (12.3) -> 9.8 (13.3) MB, 1.23 / 0.00 ms  (…`
    const m = /: (Scavenge|Mark-Compact)\b.*?MB, ([\d.]+) \/ [\d.]+ ms/.exec(l);
    if (!m) return;
    if (m[1] === 'Scavenge') {
      gc.scavenges++;
      gc.scavengeMs += Number(m[2]);
    } else {
      gc.markCompacts++;
      gc.markCompactMs += Number(m[2]);
    }
  });
  const counts = (): Promise<EngineCounts | undefined> => new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), 2000);
    waiting.push((l) => {
      clearTimeout(t);
      const c = JSON.parse(l) as Partial<EngineCounts>;
      resolve(typeof c.dialogs === 'number' ? (c as EngineCounts) : undefined);
    });
    proc.stdin!.write('counts\n');
  });
  return new Promise((resolve, reject) => {
    ready = () => resolve({ proc, counts, gc, waiters: waiting });
    proc.on('exit', () => reject(new Error(`engine-server ${role} exited`)));
    setTimeout(() => reject(new Error(`engine-server ${role} did not start in 30 s`)), 30_000).unref();
  });
}

const line = (c: EngineCounts | undefined): string => (c ? `${c.serverTransactions} server / ${c.clientTransactions} client transactions, ${c.dialogs} dialogs${c.heapMiB !== undefined ? `, heap ${c.heapMiB} MiB + external ${c.externalMiB} MiB after GC` : ''}` : 'n/a');

/** Live heap per open transaction (KiB) at the end of a step: what the 32 s windows cost in memory. */
const perTxnKiB = (c: EngineCounts | undefined): string => {
  const n = c ? c.serverTransactions + c.clientTransactions : 0;
  return c?.heapMiB !== undefined && n > 0 ? String(Math.round(((c.heapMiB + (c.externalMiB ?? 0)) * 1024) / n * 10) / 10) : '—';
};

async function drained(s: Server, boundS: number): Promise<EngineCounts | undefined> {
  const until = Date.now() + boundS * 1000;
  for (;;) {
    const c = await s.counts();
    if (!c || c.serverTransactions + c.clientTransactions + c.dialogs === 0 || Date.now() > until) return c;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A heap snapshot of the engine process, summarised by object group and retainer (bench/lib/heap-summary.ts). */
async function heapAt(s: Server, label: string): Promise<void> {
  const file = path.join(process.env.HEAP_DIR ?? tmpdir(), `engine-${label}-${process.pid}.heapsnapshot`);
  const done = new Promise<void>((resolve) => void s.waiters.push(() => resolve()));
  s.proc.stdin!.write(`heap ${file}\n`);
  await done;
  const { summariseHeap, heapTable } = await import('./lib/heap-summary');
  console.log(`  heap snapshot ${file}:\n${heapTable(summariseHeap(file, 30)).join('\n')}`);
}

async function runLayout(layout: Layout): Promise<{ steps: Step[]; drainedCounts?: EngineCounts }> {
  console.log(`layout ${layout}: ${DESCRIBE[layout]} (UDP ingress ${INGRESS})`);
  const uas = startSippUas(UAS_PORT, 'u1');
  const servers: Server[] = [];
  const steps: Step[] = [];
  let drainedCounts: EngineCounts | undefined;
  try {
    const engine = await startServer(layout === 'one' ? 'both' : layout === 'tcp' ? 'both-tcp' : 'engine');
    servers.push(engine);
    const app = layout === 'split' ? await startServer('app') : undefined;
    if (app) servers.push(app);
    for (const rate of STEPS) {
      const calls = rate * STEP_S;
      process.stdout.write(`  step ${rate} cps × ${STEP_S}s (${calls} calls)… `);
      const g0 = { ...engine.gc };
      const e0 = cpuNs(engine.proc.pid!);
      const a0 = app ? cpuNs(app.proc.pid!) : 0;
      const t0 = process.hrtime.bigint();
      const r = await runSippUac(`127.0.0.1:${SIP_PORT}`, 5380, 'u1', rate, calls, HOLD_MS, (STEP_S + 40) * 1000);
      const wallNs = Number(process.hrtime.bigint() - t0);
      const eNs = cpuNs(engine.proc.pid!) - e0;
      const aNs = app ? cpuNs(app.proc.pid!) - a0 : 0;
      const perCall = (ns: number): number => Math.round((ns / 1e6 / calls) * 1000) / 1000;
      const step: Step = {
        rate, calls, successful: r.successful, failed: r.failed, retransmissions: r.retransmissions,
        engineMsPerCall: perCall(eNs), ...(app && { appMsPerCall: perCall(aNs) }),
        cpuPct: Math.round(((eNs + aNs) / wallNs) * 1000) / 10,
        rssMiB: rssMiB(engine.proc.pid!) + (app ? rssMiB(app.proc.pid!) : 0),
        countsAfter: await engine.counts(),
        gc: {
          scavenges: engine.gc.scavenges - g0.scavenges, scavengeMs: Math.round(engine.gc.scavengeMs - g0.scavengeMs),
          markCompacts: engine.gc.markCompacts - g0.markCompacts, markCompactMs: Math.round(engine.gc.markCompactMs - g0.markCompactMs),
        },
      };
      steps.push(step);
      if (Number(process.env.HEAP_AT) === rate) await heapAt(engine, `${layout}-${rate}`);
      console.log(`${step.successful} ok, ${step.failed} failed, ${step.retransmissions} retrans, CPU ${step.cpuPct} %, `
        + `${layout !== 'split' ? `${step.engineMsPerCall} ms/call` : `engine ${step.engineMsPerCall} + app/srf ${step.appMsPerCall} ms/call`}, RSS ${step.rssMiB} MiB, GC ${step.gc.scavenges} scavenges ${step.gc.scavengeMs} ms + ${step.gc.markCompacts} mark-compacts ${step.gc.markCompactMs} ms; after: ${line(step.countsAfter)}`);
      if (step.failed > 0 || step.successful < calls) break;
      await new Promise((r2) => setTimeout(r2, 2000));
    }
    drainedCounts = await drained(engine, 45);
    console.log(`  after the ramp: ${line(drainedCounts)}`);
  } finally {
    for (const s of servers.reverse()) await stop(s.proc);
    await stop(uas);
  }
  return { steps, ...(drainedCounts && { drainedCounts }) };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`engine benchmark — ${machine.cpuModel} × ${machine.cores}, ${machine.kernel}, node ${machine.node}`);
  console.log(`method: SIPp uac → engine + minimal srf B2BUA → SIPp uas, UDP loopback, ${STEP_S}s per step, hold ${HOLD_MS} ms; layouts ${LAYOUTS.join(', ')}; ${BUILD}`);
  const results: Partial<Record<Layout, Awaited<ReturnType<typeof runLayout>>>> = {};
  const built = BUILD === 'dist' ? compile() : undefined;
  compiled = built;
  try {
    for (const l of LAYOUTS) results[l] = await runLayout(l);
  } finally {
    built?.remove();
  }
  const max = (steps: readonly Step[]): number => steps.filter((s) => s.failed === 0 && s.successful === s.calls).pop()?.rate ?? 0;
  const md = [
    '# Engine benchmark: the embedded engine + minimal srf B2BUA', '',
    machineMarkdown(machine),
    `Method: SIPp \`uac\` → engine + minimal drachtio-srf B2BUA (test/apps/minimal-b2bua.ts) → SIPp \`uas\`, UDP on loopback; ${STEP_S} s per step; hold ${HOLD_MS} ms; UDP ingress ${INGRESS}; `
    + `${BUILD === 'dist' ? 'compiled by tsc (as production runs)' : 'sources under tsx'}. `
    + 'CPU from /proc/PID/task/*/schedstat (all threads), per call = CPU over the step / calls. "one" = engine and B2BUA in one process over the in-process wire link (as trunkwise runs); '
    + '"tcp" = the same with srf on loopback TCP (before issue 11); "split" = the engine alone in one process and the B2BUA + drachtio-srf in another over loopback TCP, so the engine\'s own CPU per call and the app + srf share are read apart. '
    + `GC from the server's --trace-gc lines (the engine process in "split")${NODE_FLAGS.length ? `; node flags ${NODE_FLAGS.join(' ')}` : ''}. `
    + 'Engine counts (server / client transactions, dialogs) right after each step (32 s windows still open) and after the ramp, polled until 0 (≤ 45 s).', '',
  ];
  for (const l of LAYOUTS) {
    const r = results[l]!;
    const whole = l !== 'split';
    md.push(`## ${l}: ${DESCRIBE[l]}`, '',
      `| offered cps | calls | ok | failed | retrans | ${whole ? 'CPU ms/call' : 'engine ms/call | app + srf ms/call | engine share'} | CPU % | RSS MiB | GC scavenges / ms, mark-compacts / ms | txns srv / cli / dialogs after | heap + external MiB after GC | KiB per open txn |`,
      `|---|---|---|---|---|${whole ? '---' : '---|---|---'}|---|---|---|---|---|---|`,
      ...r.steps.map((s) => `| ${s.rate} | ${s.calls} | ${s.successful} | ${s.failed} | ${s.retransmissions} | ${whole ? s.engineMsPerCall
        : `${s.engineMsPerCall} | ${s.appMsPerCall} | ${Math.round((s.engineMsPerCall / (s.engineMsPerCall + (s.appMsPerCall ?? 0))) * 100)} %`} | ${s.cpuPct} | ${s.rssMiB} | ${s.gc.scavenges} / ${s.gc.scavengeMs}, ${s.gc.markCompacts} / ${s.gc.markCompactMs} | `
        + `${s.countsAfter ? `${s.countsAfter.serverTransactions} / ${s.countsAfter.clientTransactions} / ${s.countsAfter.dialogs}` : '—'} | `
        + `${s.countsAfter?.heapMiB !== undefined ? `${s.countsAfter.heapMiB} + ${s.countsAfter.externalMiB}` : '—'} | ${perTxnKiB(s.countsAfter)} |`), '',
      `Max at 0 failures: **${max(r.steps)} calls/s**. After the ramp: ${line(r.drainedCounts)}.`, '');
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  // Variants (inline ingress, extra node flags) are written beside the default run, not over it.
  const base = process.env.RESULTS_NAME ?? `engine${INGRESS === 'inline' ? '-inline' : ''}${NODE_FLAGS.length ? '-flags' : ''}`;
  writeFileSync(path.join(dir, `${base}.md`), md.join('\n'));
  writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify({ machine, stepSeconds: STEP_S, holdMs: HOLD_MS, ingress: INGRESS, nodeFlags: NODE_FLAGS, results }, null, 2)}\n`);
  console.log(`written to bench/results/${base}.md`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
