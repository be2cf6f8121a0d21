/**
 * `--workers 1` against `--workers 2` (issue 12): the same SIPp ramp through trunkwise with one app
 * process, then with the engine and two app workers sharing state through a local redis-server, and
 * beside them Kamailio's dispatcher with 1 and 2 UDP children (its own way of using more cores).
 * Usage: flock /tmp/trunkwise-heavy.lock npx tsx bench/workers.bench.ts [--quick] [--out DIR]
 *        (or `npm run bench -- --only workers`)
 *
 * Method (written with the results):
 *  - Five SIPp carriers (bench/scenarios/uas-bench-carrier.xml) and a SIPp caller
 *    (uac-bench-call.xml) on 127.0.0.1; trunkwise from src/main.ts with the bench's carriers and route
 *    (bench/lib/trunkwise-sut.ts's files), admission limits raised above the ramp, LOG_LEVEL=info to a file.
 *  - Ramp: each rate for `stepSeconds`, hold 1 s; a step is sustained when every call completed
 *    and none failed. The ramp stops after the first step that is not. Every SIPp is bounded in time.
 *  - CPU: every process of trunkwise (the supervisor with the engine, the workers, its redis-server)
 *    from /proc/PID/task/*\/schedstat over the step; CPU per call = that / calls completed.
 *  - Setup p99: from trunkwise's own CDRs (setupMs: INVITE received → 200 sent), per step.
 *  - The load generator and the carriers share the same 2 cores: the numbers are a 1 → 2 worker
 *    point on this machine, not a capacity figure for a bigger host.
 */
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCarriers } from './lib/carriers';
import { cpuNsOf, machineInfo, machineLine, processTree, type MachineInfo } from './lib/machine';
import { say, sleep } from './lib/log';
import { freePorts } from './lib/ports';
import { exited, killAll, start, stop } from './lib/procs';
import { header, table, writeResult } from './lib/report';
import { startUac } from './lib/sipp-run';
import { dist, r1 } from './lib/stats';
import { trunkwiseCarriersYaml, trunkwiseRoutesYaml } from './lib/trunkwise-sut';
import { startKamailio } from './lib/kamailio-sut';
import type { Sut } from './lib/sut';

const ROOT = path.join(__dirname, '..');
const HOLD_MS = 1000;

export interface WorkersBenchOptions {
  rates: number[];
  stepSeconds: number;
  workers: number[];
  /** Kamailio's UDP children (-n) for the points beside trunkwise's; [] = none. */
  kamailioChildren: number[];
}

export const WORKERS_DEFAULTS: WorkersBenchOptions = { rates: [100, 200, 300, 400, 500], stepSeconds: 8, workers: [1, 2], kamailioChildren: [1, 2] };

export interface WorkersStep {
  offeredCps: number;
  calls: number;
  successful: number;
  failed: number;
  sustained: boolean;
  cpuPct: number;
  cpuMsPerCall: number;
  setupP50Ms?: number;
  setupP99Ms?: number;
  /** Kamailio rows: SIPp's mean INVITE → 200 (its only setup figure here; trunkwise's come from its CDRs). */
  setupMeanMs?: number;
  /** Calls per worker (from the CDRs' `worker` field), to show the spread. */
  perWorker: number[];
}

export interface WorkersRun {
  system: 'trunkwise' | 'kamailio';
  /** trunkwise: app workers (--workers); Kamailio: UDP children (-n). */
  workers: number;
  steps: WorkersStep[];
  maxSustainableCps: number;
  error?: string;
}

interface CdrLine {
  msg?: string;
  worker?: number;
  time?: number;
  cdr?: { setupMs?: number; outcome?: string };
}

function readCdrs(file: string, from: number, to: number): CdrLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: CdrLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"cdr"')) continue;
    try {
      const j = JSON.parse(line) as CdrLine;
      if (j.time !== undefined && j.time >= from && j.time <= to) out.push(j);
    } catch {
      /* a partial line */
    }
  }
  return out;
}

async function runOne(workers: number, o: WorkersBenchOptions): Promise<WorkersRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-workers-${workers}-`));
  const carriers = await startCarriers();
  const steps: WorkersStep[] = [];
  let tw: ReturnType<typeof start> | undefined;
  try {
    mkdirSync(path.join(dir, 'routes'));
    writeFileSync(path.join(dir, 'carriers.yaml'), trunkwiseCarriersYaml(carriers.list));
    writeFileSync(path.join(dir, 'routes', '99-default.yaml'), trunkwiseRoutesYaml(carriers.list));
    const [sipPort, httpPort, uacPort] = await freePorts(3);
    const logFile = path.join(dir, 'trunkwise.log');
    const log = openSync(logFile, 'a');
    tw = start(`trunkwise --workers ${workers}`, process.execPath, ['--max-semi-space-size=16', '--import', 'tsx', path.join(ROOT, 'src', 'main.ts'),
      '--carriers', path.join(dir, 'carriers.yaml'), '--routes', path.join(dir, 'routes'), '--sip', `127.0.0.1:${sipPort}`, '--http', `127.0.0.1:${httpPort}`,
      '--max-cps', '100000', '--max-cps-per-source', '100000', '--workers', String(workers)], {
      cwd: ROOT, stdio: ['ignore', log, log], env: { ...process.env, TRUNKWISE_ADMIN_TOKEN: 'bench', LOG_LEVEL: 'info' },
    });
    closeSync(log);
    const until = Date.now() + 60_000;
    while (!readFileSync(logFile, 'utf8').includes('"msg":"trunkwise ready"')) {
      if (exited(tw)) throw new Error(`trunkwise exited at start; see ${logFile}`);
      if (Date.now() > until) throw new Error(`trunkwise not ready in 60 s; see ${logFile}`);
      await sleep(200);
    }
    await sleep(2000); // probes settle
    for (const rate of o.rates) {
      const calls = rate * o.stepSeconds;
      const pids = processTree(tw.pid!);
      const cpu0 = cpuNsOf(pids);
      const t0 = Date.now();
      const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sipPort}`, localPort: uacPort!, rate, calls, holdMs: HOLD_MS, boundMs: (o.stepSeconds + 30) * 1000, recvTimeoutMs: 10_000 });
      const s = await uac.done;
      const wall = (Date.now() - t0) / 1000;
      const cpuMs = (cpuNsOf(pids) - cpu0) / 1e6;
      await sleep(300);
      const cdrs = readCdrs(logFile, t0, Date.now());
      const setup = dist(cdrs.filter((c) => c.cdr?.outcome === 'answered' && typeof c.cdr.setupMs === 'number').map((c) => c.cdr!.setupMs!));
      const perWorker = Array.from({ length: workers }, (_, i) => cdrs.filter((c) => (workers === 1 ? true : c.worker === i)).length);
      const step: WorkersStep = {
        offeredCps: rate, calls, successful: s.successful, failed: s.failed, sustained: s.failed === 0 && s.successful === calls && !s.bounded,
        cpuPct: r1((cpuMs / (wall * 1000)) * 100), cpuMsPerCall: r1(s.successful > 0 ? cpuMs / s.successful : 0),
        ...(setup && { setupP50Ms: setup.p50, setupP99Ms: setup.p99 }), perWorker,
      };
      steps.push(step);
      say(`workers ${workers}: ${rate} calls/s → ${s.successful}/${calls} ok, ${s.failed} failed, CPU ${step.cpuPct} % (${step.cpuMsPerCall} ms/call), setup p99 ${step.setupP99Ms ?? '—'} ms, per worker ${perWorker.join('/')}`);
      if (!step.sustained) break;
      await sleep(1500);
    }
    return { system: 'trunkwise', workers, steps, maxSustainableCps: Math.max(0, ...steps.filter((x) => x.sustained).map((x) => x.offeredCps)) };
  } catch (err) {
    return { system: 'trunkwise', workers, steps, maxSustainableCps: Math.max(0, ...steps.filter((x) => x.sustained).map((x) => x.offeredCps)), error: (err as Error).message };
  } finally {
    if (tw) await stop(tw, 45_000);
    await carriers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same ramp through Kamailio's dispatcher with `children` UDP workers (setup times: SIPp's mean only). */
async function runKamailio(children: number, o: WorkersBenchOptions): Promise<WorkersRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-workers-kamailio-${children}-`));
  const carriers = await startCarriers();
  const steps: WorkersStep[] = [];
  const max = (): number => Math.max(0, ...steps.filter((x) => x.sustained).map((x) => x.offeredCps));
  let k: Sut | undefined;
  try {
    k = await startKamailio({ carriers: carriers.list, dir, children });
    const [uacPort] = await freePorts(1);
    for (const rate of o.rates) {
      const calls = rate * o.stepSeconds;
      const pids = k.pids();
      const cpu0 = cpuNsOf(pids);
      const t0 = Date.now();
      const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${k.sipPort}`, localPort: uacPort!, rate, calls, holdMs: HOLD_MS, boundMs: (o.stepSeconds + 30) * 1000, recvTimeoutMs: 10_000 });
      const s = await uac.done;
      const wall = (Date.now() - t0) / 1000;
      const cpuMs = (cpuNsOf(pids) - cpu0) / 1e6;
      const step: WorkersStep = {
        offeredCps: rate, calls, successful: s.successful, failed: s.failed, sustained: s.failed === 0 && s.successful === calls && !s.bounded,
        cpuPct: r1((cpuMs / (wall * 1000)) * 100), cpuMsPerCall: r1(s.successful > 0 ? cpuMs / s.successful : 0), setupMeanMs: r1(s.responseTimeMeanMs), perWorker: [],
      };
      steps.push(step);
      say(`kamailio -n ${children}: ${rate} calls/s → ${s.successful}/${calls} ok, ${s.failed} failed, CPU ${step.cpuPct} % (${step.cpuMsPerCall} ms/call), setup mean ${step.setupMeanMs} ms (SIPp)`);
      if (!step.sustained) break;
      await sleep(1500);
    }
    return { system: 'kamailio', workers: children, steps, maxSustainableCps: max() };
  } catch (err) {
    return { system: 'kamailio', workers: children, steps, maxSustainableCps: max(), error: (err as Error).message };
  } finally {
    if (k) await k.stop();
    await carriers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function workersMethod(o: WorkersBenchOptions): string[] {
  return [
    `trunkwise with \`--workers ${o.workers.join('` then `--workers ')}\` (2 = the embedded engine in the supervisor process, two app workers connected to it over the drachtio wire protocol, a local redis-server for shared caps, health and events)`,
    `five SIPp carriers and one SIPp caller on 127.0.0.1; ramp ${o.rates.join(', ')} calls/s × ${o.stepSeconds} s, hold ${HOLD_MS} ms; the ramp stops at the first step with a failed or unfinished call`,
    'CPU: every process of trunkwise (supervisor + engine, workers, redis-server) from /proc/PID/task/*/schedstat over the step; CPU per call = CPU time / calls completed',
    'setup p50/p99: trunkwise\'s own CDR setupMs (INVITE received → 200 sent to the caller), answered calls of the step',
    ...(o.kamailioChildren.length > 0 ? [`beside them, the same ramp through Kamailio (bench/kamailio/kamailio.cfg, stateful dispatcher) with ${o.kamailioChildren.join(' then ')} UDP children (-n): CPU of all its processes the same way; its setup is SIPp's mean INVITE → 200 (no CDRs)`] : []),
    `the caller, the carriers and the system under test share the machine's ${os.cpus().length} cores: a measured 1 → 2 worker point, not a capacity figure for a bigger host`,
  ];
}

export function writeWorkers(dir: string, m: MachineInfo, o: WorkersBenchOptions, runs: readonly WorkersRun[]): void {
  const rows = runs.flatMap((r) => r.steps.map((s) => [r.system === 'kamailio' ? `Kamailio -n ${r.workers}` : `trunkwise --workers ${r.workers}`, s.offeredCps, `${s.successful}/${s.calls}`, s.failed, s.sustained ? 'yes' : 'no', s.cpuPct, s.cpuMsPerCall, s.setupP50Ms ?? (s.setupMeanMs !== undefined ? `mean ${s.setupMeanMs}` : '—'), s.setupP99Ms ?? '—', s.perWorker.join(' / ') || '—']));
  const one = runs.find((r) => r.system === 'trunkwise' && r.workers === 1);
  const two = runs.find((r) => r.system === 'trunkwise' && r.workers === 2);
  const atSame = (r: WorkersRun | undefined, cps: number): WorkersStep | undefined => r?.steps.find((s) => s.offeredCps === cps && s.sustained);
  const common = one && two ? Math.min(one.maxSustainableCps, two.maxSustainableCps) : 0;
  const a = atSame(one, common);
  const b = atSame(two, common);
  const md = [
    ...header('Workers: one app process against two on one engine', m, workersMethod(o)),
    '## Results', '',
    ...table(['system', 'offered cps', 'completed', 'failed', 'sustained', 'CPU %', 'CPU ms/call', 'setup p50 ms', 'setup p99 ms', 'calls per worker'], rows),
    ...runs.map((r) => `- ${r.system === 'kamailio' ? `Kamailio \`-n ${r.workers}\`` : `trunkwise \`--workers ${r.workers}\``}: max sustained ${r.maxSustainableCps} calls/s${r.error ? ` (error: ${r.error})` : ''}`),
    ...(a && b ? [`- at ${common} calls/s (the highest step both sustained): CPU per call ${a.cpuMsPerCall} ms with 1 worker, ${b.cpuMsPerCall} ms with 2 (${r1(b.cpuMsPerCall / Math.max(0.1, a.cpuMsPerCall))}×: the cost of the wire protocol over loopback TCP and of Redis per call); setup p99 ${a.setupP99Ms ?? '—'} → ${b.setupP99Ms ?? '—'} ms`] : []),
    '',
  ];
  writeResult(dir, 'workers', md, { method: workersMethod(o), machine: m, options: o, runs });
}

export async function runWorkers(o: WorkersBenchOptions): Promise<WorkersRun[]> {
  const runs: WorkersRun[] = [];
  for (const w of o.workers) {
    say(`workers: --workers ${w}, ramp ${o.rates.join(', ')} calls/s × ${o.stepSeconds} s`);
    runs.push(await runOne(w, o));
  }
  for (const n of o.kamailioChildren) {
    say(`workers: Kamailio -n ${n}, ramp ${o.rates.join(', ')} calls/s × ${o.stepSeconds} s`);
    runs.push(await runKamailio(n, o));
  }
  return runs;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 && argv[outIdx + 1] ? path.resolve(argv[outIdx + 1]!) : quick ? mkdtempSync(path.join(os.tmpdir(), 'tw-workers-quick-')) : path.join(__dirname, 'results');
  const o: WorkersBenchOptions = quick ? { ...WORKERS_DEFAULTS, rates: [100, 200], stepSeconds: 4 } : WORKERS_DEFAULTS;
  const m = machineInfo();
  say(`machine: ${machineLine(m)}`);
  const runs = await runWorkers(o);
  mkdirSync(out, { recursive: true });
  writeWorkers(out, m, o, runs);
  say(`wrote ${out}/workers.md, workers.json`);
}

if (require.main === module) {
  const bye = (): void => killAll();
  process.on('SIGINT', () => {
    bye();
    process.exit(130);
  });
  main().then(() => process.exit(0), (err: Error) => {
    console.error(err.stack);
    bye();
    process.exit(1);
  });
}
