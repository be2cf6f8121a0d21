/**
 * End-to-end load, trunkwise and Kamailio in the same run (issue 6). For each system in turn (never
 * both at once): five SIPp carriers, the system, a smoke check that calls flow, then a ramp of call
 * rates from a SIPp UAC (bench/scenarios/uac-bench-call.xml), each step bounded in time; per step
 * SIPp's counters, setup latency from a loopback capture, CPU per process from schedstat, memory.
 * Usage: npx tsx bench/e2e.bench.ts [--quick]   (normally run through bench/run.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCarriers, type Carriers } from './lib/carriers';
import { buildOnce, type TrunkwiseBuild } from './lib/build';
import { startCapture, payloadStarts } from './lib/capture';
import { CpuSampler } from './lib/cpu-sampler';
import { startKamailio } from './lib/kamailio-sut';
import { say, sleep, withProgress } from './lib/log';
import { readSipPackets } from './lib/pcap';
import { freePorts } from './lib/ports';
import { callSetups, carrierAnswerMs, summarise, type CallSetup, type SetupSummary } from './lib/setup-latency';
import { startUac } from './lib/sipp-run';
import { r1, type Dist } from './lib/stats';
import type { EngineCounts, Sut, SutName } from './lib/sut';
import { startTrunkwise } from './lib/trunkwise-sut';

export interface E2eOptions {
  systems: SutName[];
  rates: number[];
  stepSeconds: number;
  holdMs: number;
  kamailioChildren: number;
  /** Stop a system's ramp after this many consecutive unsustained steps. */
  stopAfterFailures: number;
  /** Keep captures and logs in the work dir (default: removed once analysed). */
  keepFiles: boolean;
  /** trunkwise as production runs it (the compiled build, made once per run) or its sources under tsx. */
  trunkwiseBuild: TrunkwiseBuild;
  /** Unmeasured calls before the ramp, for both systems (a production process is warm: its code compiled, its heap sized). */
  warmup: { cps: number; seconds: number };
}

/** A step counts toward "max sustainable" only if its setup p99 is at most this (issue 11): the tail is what a caller feels. */
export const P99_LIMIT_MS = 50;

export interface StepResult {
  system: SutName;
  offeredCps: number;
  calls: number;
  wallS: number;
  sipp: { successful: number; failed: number; unfinished: number; retransmissions: number; failedTimeout: number; failedUnexpected: number; bounded: boolean; responseTimeMeanMs: number };
  carriers: { retransmissions: number; failed: number };
  capture: SetupSummary & { dropped: number; carrierAnswerMs?: Dist };
  cpu: { sutPct: number; sutCpuMsPerCall: number; uacPct: number; carriersPct: number; dumpcapPct: number; runnerPct: number };
  sutPssMiB: number;
  /** 0 failed / unfinished, all answered, achieved ≥ 90 % (the old "sustained"). */
  sustained: boolean;
  /** Sustained and setup p99 ≤ P99_LIMIT_MS. */
  sustainedP99: boolean;
  /** The engine's transactions / dialogs right after the step (32 s windows still open). */
  engineAfter?: EngineCounts;
  notes: string[];
}

export interface SystemRun {
  system: SutName;
  describe: string;
  smoke: { calls: number; successful: number; perCarrier: Record<string, number> };
  steps: StepResult[];
  /** Highest step with 0 failed calls and setup p99 ≤ P99_LIMIT_MS. */
  maxSustainableCps: number;
  /** Highest step with 0 failed calls, whatever its tail (the definition before issue 11). */
  maxZeroFailCps: number;
  /** The engine's transactions / dialogs once its 32 s windows have closed after the ramp (trunkwise). */
  engineDrained?: EngineCounts & { afterS: number };
  error?: string;
}

export const E2E_DEFAULTS: E2eOptions = {
  systems: ['trunkwise', 'kamailio'],
  rates: [200, 400, 600, 800, 1000, 1500, 2000, 2500, 3000],
  stepSeconds: 10,
  holdMs: 1000,
  kamailioChildren: 2,
  stopAfterFailures: 2,
  keepFiles: false,
  trunkwiseBuild: 'dist',
  warmup: { cps: 100, seconds: 10 },
};

export async function startSut(system: SutName, carriers: Carriers, dir: string, kamailioChildren: number, distDir?: string): Promise<Sut> {
  return system === 'trunkwise'
    ? startTrunkwise({ carriers: carriers.list, dir, ...(distDir && { distDir }) })
    : startKamailio({ carriers: carriers.list, dir, children: kamailioChildren });
}

/** Five SIPp carriers and the system under test for `body`; both are stopped afterwards, whatever happens. */
export async function withSystem<T>(system: SutName, dir: string, kamailioChildren: number, body: (sut: Sut, carriers: Carriers) => Promise<T>, distDir?: string): Promise<T> {
  const carriers = await startCarriers();
  let sut: Sut | undefined;
  try {
    sut = await startSut(system, carriers, dir, kamailioChildren, distDir);
    return await body(sut, carriers);
  } finally {
    await sut?.stop();
    await carriers.stop();
  }
}

/** A few calls at a low rate must all complete, over more than one carrier, before anything is measured. */
export async function smokeCheck(sut: Sut, carriers: Carriers): Promise<SystemRun['smoke']> {
  const before = carriers.totals().incoming;
  const [port] = await freePorts(1);
  const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sut.sipPort}`, localPort: port!, rate: 50, calls: 50, holdMs: 200, boundMs: 20_000, recvTimeoutMs: 10_000 });
  const s = await uac.done;
  await sleep(1200); // carriers' CSV lines are written once a second
  const after = carriers.totals().incoming;
  const perCarrier = Object.fromEntries(Object.keys(after).map((id) => [id, (after[id] ?? 0) - (before[id] ?? 0)]));
  return { calls: 50, successful: s.successful, perCarrier };
}

/** Calls at a moderate rate, not measured: the system's code is compiled and its memory sized before the ramp. */
export async function warmUp(sut: Sut, cps: number, seconds: number, holdMs: number): Promise<{ calls: number; successful: number }> {
  const [port] = await freePorts(1);
  const calls = cps * seconds;
  const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sut.sipPort}`, localPort: port!, rate: cps, calls, holdMs, boundMs: (seconds + 15) * 1000 + holdMs, recvTimeoutMs: 10_000 });
  const s = await withProgress(`${sut.name} warm-up ${cps} cps`, uac.done, () => `${uac.progress().outgoing}/${calls} placed`);
  return { calls, successful: s.successful };
}

/** One ramp step; `onSetups` (bench/tail.bench.ts) gets every call's setup times from the capture. */
export async function runStep(sut: Sut, carriers: Carriers, rate: number, o: E2eOptions, dir: string, onSetups?: (setups: readonly CallSetup[]) => void): Promise<StepResult> {
  const calls = rate * o.stepSeconds;
  const [uacPort] = await freePorts(1);
  // INVITEs into and out of the system, and final responses (not 1xx) out of and into it.
  const filter = `udp and ((port ${sut.sipPort} and ${payloadStarts('INVITE')}) or (port ${sut.sipPort} and ${payloadStarts('SIP/')} and udp[16:1] != 0x31))`;
  const cap = await startCapture(path.join(dir, `${sut.name}-${rate}.pcap`), filter);
  const sampler = new CpuSampler();
  const carrierBefore = carriers.totals();
  sampler.add('sut', () => sut.pids(), true);
  sampler.add('carriers', () => carriers.pids());
  sampler.add('dumpcap', () => [cap.pid]);
  sampler.add('runner', () => [process.pid]);
  const t0 = Date.now();
  const uac = startUac({
    scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sut.sipPort}`, localPort: uacPort!, rate, calls, holdMs: o.holdMs,
    boundMs: (o.stepSeconds + 15) * 1000 + o.holdMs, recvTimeoutMs: 10_000,
  });
  sampler.add('uac', () => [uac.pid]);
  sampler.start();
  const s = await withProgress(`${sut.name} ${rate} cps`, uac.done, () => {
    const p = uac.progress();
    return `${p.outgoing}/${calls} placed, ${p.successful} ok, ${p.failed} failed, ${p.retransmissions} retrans`;
  });
  sampler.stop();
  const t1 = Date.now();
  const capStats = await cap.stop();
  await sleep(1100);
  const carrierAfter = carriers.totals();
  const pkts = readSipPackets(cap.file);
  if (!o.keepFiles) rmSync(cap.file, { force: true });
  const setups = callSetups(pkts, uacPort!, sut.sipPort);
  onSetups?.(setups);
  const summary = summarise(setups);
  const carrierMs = carrierAnswerMs(pkts, uacPort!, sut.sipPort);
  // Steady-state window for CPU %: from 1 s after the first INVITE to the last INVITE placed.
  const first = (setups[0]?.inviteUs ?? t0 * 1000) / 1000;
  const last = (setups[setups.length - 1]?.inviteUs ?? t1 * 1000) / 1000;
  const w0 = Math.min(first + 1000, last - 1000);
  const whole = sampler.cpuNsBetween('sut', t0, t1);
  const unfinished = Math.max(0, calls - s.successful - s.failed);
  const notes: string[] = [];
  if (s.bounded) notes.push('step hit its time bound');
  if (capStats.dropped > 0) notes.push(`capture dropped ${capStats.dropped} packets`);
  if (summary.calls < calls) notes.push(`capture saw ${summary.calls} of ${calls} INVITEs`);
  if (summary.achievedCps < rate * 0.9) notes.push(`achieved ${summary.achievedCps} < 90 % of offered`);
  const carrierFailed = carrierAfter.failed - carrierBefore.failed;
  const engineAfter = await sut.counts?.();
  if (carrierFailed > 0) notes.push(`${carrierFailed} carrier-side SIPp calls failed`);
  const sustained = s.failed === 0 && carrierFailed === 0 && unfinished === 0 && !s.bounded && summary.rejected === 0 && summary.unanswered === 0 && summary.achievedCps >= rate * 0.9;
  return {
    system: sut.name, offeredCps: rate, calls, wallS: r1((t1 - t0) / 1000),
    sipp: {
      successful: s.successful, failed: s.failed, unfinished, retransmissions: s.retransmissions, failedTimeout: s.failedTimeout,
      failedUnexpected: s.failedUnexpected, bounded: s.bounded, responseTimeMeanMs: s.responseTimeMeanMs,
    },
    carriers: { retransmissions: carrierAfter.retransmissions - carrierBefore.retransmissions, failed: carrierAfter.failed - carrierBefore.failed },
    capture: { ...summary, dropped: capStats.dropped, ...(carrierMs && { carrierAnswerMs: carrierMs }) },
    cpu: {
      sutPct: sampler.cpuPct('sut', w0, last),
      sutCpuMsPerCall: calls > 0 ? Math.round((whole.ns / 1e6 / calls) * 1000) / 1000 : 0,
      uacPct: sampler.cpuPct('uac', w0, last),
      carriersPct: sampler.cpuPct('carriers', w0, last),
      dumpcapPct: sampler.cpuPct('dumpcap', w0, last),
      runnerPct: sampler.cpuPct('runner', w0, last),
    },
    sutPssMiB: sampler.peakPssMiB('sut'),
    sustained,
    sustainedP99: sustained && summary.latencyMs !== undefined && summary.latencyMs.p99 <= P99_LIMIT_MS,
    ...(engineAfter && { engineAfter }),
    notes,
  };
}

export function stepLine(r: StepResult): string {
  const l = r.capture.latencyMs;
  return `${r.system} ${r.offeredCps} cps: achieved ${r.capture.achievedCps}, ${r.sipp.successful}/${r.calls} ok, ${r.sipp.failed} failed, `
    + `${r.sipp.unfinished} unfinished, retrans ${r.sipp.retransmissions} uac / ${r.carriers.retransmissions} carriers, `
    + `setup ${l ? `${l.p50}/${l.p99}/${l.p999} ms` : 'n/a'} (p50/p99/p99.9; carrier part p50 ${r.capture.carrierAnswerMs?.p50 ?? 'n/a'}), CPU ${r.cpu.sutPct} % (${r.cpu.sutCpuMsPerCall} ms/call), `
    + `uac ${r.cpu.uacPct} %, carriers ${r.cpu.carriersPct} %, PSS ${r.sutPssMiB} MiB${r.engineAfter ? `, engine ${countsLine(r.engineAfter)}` : ''}`
    + `${r.sustained ? (r.sustainedP99 ? '' : ` — p99 > ${P99_LIMIT_MS} ms`) : ' — NOT SUSTAINED'}${r.notes.length ? ` (${r.notes.join('; ')})` : ''}`;
}

export function countsLine(c: EngineCounts): string {
  return `${c.serverTransactions} server / ${c.clientTransactions} client transactions, ${c.dialogs} dialogs${c.probeTransactions ? ` (+ ${c.probeTransactions} carrier OPTIONS probes)` : ''}`;
}

/** Poll the engine until its transactions and dialogs are 0 (their 32 s windows closed), at most boundS. */
export async function drainedCounts(sut: Sut, boundS: number): Promise<(EngineCounts & { afterS: number }) | undefined> {
  const t0 = Date.now();
  for (;;) {
    const c = await sut.counts?.();
    if (!c) return undefined;
    const afterS = r1((Date.now() - t0) / 1000);
    if (Math.round(afterS) % 10 === 0) say(`  … ${afterS} s after the ramp: engine ${countsLine(c)}`);
    if (c.serverTransactions + c.clientTransactions + c.dialogs === 0 || afterS >= boundS) return { ...c, afterS };
    await sleep(1000);
  }
}

export async function runSystem(system: SutName, o: E2eOptions, distDir?: string): Promise<SystemRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-bench-${system}-`));
  say(`${system}: starting five SIPp carriers and ${system} (work dir ${dir})`);
  const run: SystemRun = { system, describe: '', smoke: { calls: 0, successful: 0, perCarrier: {} }, steps: [], maxSustainableCps: 0, maxZeroFailCps: 0 };
  try {
    await withSystem(system, dir, o.kamailioChildren, async (sut, carriers) => {
      run.describe = sut.describe;
      run.smoke = await smokeCheck(sut, carriers);
      const used = Object.values(run.smoke.perCarrier).filter((n) => n > 0).length;
      say(`${system}: smoke check ${run.smoke.successful}/${run.smoke.calls} calls completed; carriers took ${JSON.stringify(run.smoke.perCarrier)}`);
      if (run.smoke.successful !== run.smoke.calls || used < 2) throw new Error(`${system}: smoke check failed — calls do not flow through it (see ${dir})`);
      if (o.warmup.cps > 0 && o.warmup.seconds > 0) {
        const w = await warmUp(sut, o.warmup.cps, o.warmup.seconds, o.holdMs);
        say(`${system}: warm-up ${w.successful}/${w.calls} calls at ${o.warmup.cps} calls/s (not measured)`);
        await sleep(2000);
      }
      let failures = 0;
      for (const rate of o.rates) {
        say(`${system}: step ${rate} calls/s × ${o.stepSeconds} s (${rate * o.stepSeconds} calls, hold ${o.holdMs} ms)`);
        const r = await runStep(sut, carriers, rate, o, dir);
        run.steps.push(r);
        say(`  ${stepLine(r)}`);
        if (r.sustainedP99) run.maxSustainableCps = Math.max(run.maxSustainableCps, r.offeredCps);
        if (r.sustained) {
          run.maxZeroFailCps = Math.max(run.maxZeroFailCps, r.offeredCps);
          failures = 0;
        } else if (++failures >= o.stopAfterFailures) {
          say(`${system}: ramp stopped after ${failures} unsustained step(s)`);
          break;
        }
        await sleep(2000);
      }
      // After an overloaded step two RFC 3261 windows can follow each other: a 2xx nobody ACKs ends at
      // timer H (64·T1), then its BYE to a caller that gave up ends at timer F (64·T1): ~64 s, plus slack.
      const drained = await drainedCounts(sut, 80);
      if (drained) {
        run.engineDrained = drained;
        say(`${system}: after the ramp (${drained.afterS} s): engine ${countsLine(drained)}`);
      }
    }, distDir);
  } catch (err) {
    run.error = (err as Error).message;
    say(`${system}: ERROR ${run.error}`);
  } finally {
    if (!o.keepFiles && !run.error) rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

export async function runE2e(o: E2eOptions): Promise<SystemRun[]> {
  const build = o.trunkwiseBuild === 'dist' && o.systems.includes('trunkwise') ? buildOnce() : undefined;
  if (build) say(`e2e: trunkwise compiled once for this run (npm run build -- --outDir ${build.dir})`);
  try {
    const out: SystemRun[] = [];
    for (const system of o.systems) out.push(await runSystem(system, o, build?.dir));
    return out;
  } finally {
    build?.remove();
  }
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  void runE2e({ ...E2E_DEFAULTS, ...(quick && { rates: [100, 300], stepSeconds: 4 }) }).then((runs) => {
    for (const r of runs) console.log(`${r.system}: max sustainable ${r.maxSustainableCps} cps (0 failed: ${r.maxZeroFailCps})${r.error ? ` (error: ${r.error})` : ''}`);
  });
}
