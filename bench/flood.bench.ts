/**
 * Flood benchmark (issue 9): allowlisted calls through the whole of trunkwise while a foreign source
 * floods it. Five SIPp carriers, trunkwise (src/main.ts, `--allow 127.0.0.1/32`, so any other
 * 127.0.0.x is foreign), a SIPp caller at a fixed rate; then the same for Kamailio (the dispatcher
 * proxy of the e2e benchmark, its request route refusing other sources first, `ALLOW_SRC`), the
 * reference for what one box can take; phases one after the other, per system, each on a fresh
 * process started, smoke-checked, warmed up and drained the same way (no phase inherits another's heap):
 *   1. no flood (the baseline),
 *   2. flood, `--foreign reject` (stateless 403 within a budget, the default),
 *   3. flood, `--foreign drop`,
 * 2 and 3 once per sender scheduling (--flooder-sched): an ordinary process sharing the cores, and
 * SCHED_IDLE (CPU nobody else wants: the nearest one box comes to a sender on another host).
 * The flood is one sender process on 127.0.0.2 sending INVITEs, OPTIONS and garbage round-robin as
 * fast as it can, bounded in time. Per phase: SIPp's counters, setup latency from a loopback capture
 * (the flood host filtered out in the kernel), CPU, peak memory, the engine's transport counters.
 * Usage: npx tsx bench/flood.bench.ts [--seconds 30] [--rate 200] [--systems trunkwise,kamailio] [--flooder-sched shared,idle] [--netns] [--out DIR]
 *   --netns: the whole run inside a network namespace of its own with RPS on its loopback (root; see writeFlood's method).  (or npm run bench -- --only flood)
 * Internal: --flooder HOST:PORT FROM SECONDS — the flood sender itself (a child process of this file).
 */
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startCarriers, type Carriers } from './lib/carriers';
import { startCapture, payloadStarts } from './lib/capture';
import { CpuSampler } from './lib/cpu-sampler';
import { machineInfo, machineLine, toolVersions, type MachineInfo } from './lib/machine';
import { readSipPackets } from './lib/pcap';
import { freePorts } from './lib/ports';
import { killAll, start } from './lib/procs';
import { header, n, ratio, table, writeResult } from './lib/report';
import { say, sleep, withProgress } from './lib/log';
import { callSetups, summarise, type SetupSummary } from './lib/setup-latency';
import { startUac } from './lib/sipp-run';
import type { EngineCounts, Sut } from './lib/sut';
import { startTrunkwise } from './lib/trunkwise-sut';
import { buildOnce } from './lib/build';
import { DEFAULT_LIMITS } from '../src/engine/transport/limits';
import { allButLastCoreMask, canUseNetns, runInNetns } from './lib/netns';
import { startKamailio } from './lib/kamailio-sut';
import { countsLine, drainedCounts, smokeCheck, warmUp } from './e2e.bench';

const ROOT = path.join(__dirname, '..');
const FOE = '127.0.0.2';
/** The e2e benchmark's warm-up: unmeasured calls after each start. */
const WARMUP = { cps: 100, seconds: 10 };

export interface FloodOptions {
  /** Allowlisted calls per second. */
  rate: number;
  /** Seconds of calls per phase (the flood runs 3 s longer on each side). */
  seconds: number;
  holdMs: number;
  systems: ReadonlyArray<'trunkwise' | 'kamailio'>;
  /**
   * How the flood sender shares this box's cores: 'shared' — an ordinary process, which takes one of
   * the cores the system under test would have; 'idle' — SCHED_IDLE (chrt --idle), running only on
   * CPU nothing else wants, the nearest a one-box benchmark comes to a sender on another host.
   */
  flooderSched: ReadonlyArray<FlooderSched>;
  /**
   * Set when the run is inside its own network namespace (--netns): its loopback's receive work is
   * steered by RPS to `rpsMask`'s cores, and the SCHED_IDLE sender is pinned to `senderCore`, outside it.
   */
  netns?: { name: string; rpsMask: string; senderCore: number };
}

export type FlooderSched = 'shared' | 'idle';

export const FLOOD_DEFAULTS: FloodOptions = { rate: 200, seconds: 30, holdMs: 1000, systems: ['trunkwise', 'kamailio'], flooderSched: ['shared', 'idle'] };

type Counters = Record<'received' | 'refusedForeign' | 'foreignAnswered403' | 'rateLimited' | 'malformed' | 'sent' | 'kernelFilterSockets', number>;

export interface FloodPhase {
  system: 'trunkwise' | 'kamailio';
  name: string;
  foreign: 'reject' | 'drop';
  flood: boolean;
  /** The flood sender's scheduling (flood phases only). */
  sched?: FlooderSched;
  calls: number;
  sipp: { successful: number; failed: number; retransmissions: number; unfinished: number };
  successPct: number;
  capture: SetupSummary & { dropped: number };
  /** The sender's own count and CPU: its kernel time includes loopback's receive path for every datagram. */
  flooder?: { sent: number; errors: number; seconds: number; perSecond: number; userPct?: number; systemPct?: number };
  /** trunkwise's transport counters over the phase (Kamailio: none). */
  engine?: Counters;
  /** trunkwise: its transactions and dialogs once drained after the phase (polled until 0, at most 45 s). */
  engineAfter?: EngineCounts & { afterS: number };
  cpu: { sutPct: number; flooderPct: number; uacPct: number; carriersPct: number };
  sutPeakPssMiB: number;
  sutPssAfterMiB: number;
  /** 1-minute load average when the phase ended: other work on a shared machine shows here. */
  loadAvg: number;
  /** UDP datagrams the kernel dropped for a full socket buffer during the phase (all sockets, /proc/net/snmp). */
  kernelRcvbufErrors: number;
}

/** Udp RcvbufErrors from /proc/net/snmp: datagrams dropped because a socket's receive buffer was full. */
function rcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const head = lines[0]!.split(/\s+/);
    return Number(lines[1]!.split(/\s+/)[head.indexOf('RcvbufErrors')] ?? 0);
  } catch {
    return 0;
  }
}

export interface FloodRun {
  describe: string;
  kamailio?: string;
  phases: FloodPhase[];
  verdict: { successOk: boolean; p99Ok: boolean; memoryOk: boolean; text: string[] };
}

interface System extends Sut {
  counters(): Promise<Counters | undefined>;
}

async function startKamailioSystem(carriers: Carriers, foreign: 'reject' | 'drop', dir: string, children: number): Promise<System> {
  const sut = await startKamailio({ carriers: carriers.list, dir, children, defines: ['ALLOW_SRC="127.0.0.1"', foreign === 'reject' ? 'FOREIGN_REJECT' : 'FOREIGN_DROP'] });
  return { ...sut, counters: async () => undefined };
}

/**
 * trunkwise as production runs it (the compiled build, scripts/start.sh's V8 flags: bench/lib/trunkwise-sut.ts,
 * as the e2e benchmark) with the allowlist that makes 127.0.0.2 foreign; its transport counters from /health.
 */
async function startTrunkwiseSystem(carriers: Carriers, foreign: 'reject' | 'drop', dir: string, distDir: string | undefined): Promise<System> {
  const sut = await startTrunkwise({ carriers: carriers.list, dir: path.join(dir, `trunkwise-${foreign}`), ...(distDir && { distDir }), extraArgs: ['--allow', '127.0.0.1/32', '--foreign', foreign] });
  return {
    ...sut,
    describe: sut.describe.replace(/--foreign (reject|drop)/, '--foreign reject|drop'),
    counters: async () => {
      const health = await fetch(`http://127.0.0.1:${sut.httpPort}/health`).then(async (r) => (r.ok ? (await r.json()) as { engine?: { transport?: Counters } } : undefined), () => undefined);
      const t = health?.engine?.transport;
      return t && { received: t.received, refusedForeign: t.refusedForeign, foreignAnswered403: t.foreignAnswered403, rateLimited: t.rateLimited, malformed: t.malformed, sent: t.sent, kernelFilterSockets: t.kernelFilterSockets ?? 0 };
    },
  };
}

function startFlooder(sipPort: number, seconds: number, sched: FlooderSched, senderCore: number | undefined): { child: ChildProcess; result: Promise<FloodPhase['flooder']> } {
  const node = [process.execPath, '--import', 'tsx', __filename, '--flooder', `127.0.0.1:${sipPort}`, FOE, String(seconds)];
  // chrt and taskset exec node, so the child's PID is the sender's (the CPU sampler reads it).
  const pin = senderCore !== undefined ? ['taskset', '-c', String(senderCore)] : [];
  const [cmd, ...args] = sched === 'idle' ? ['chrt', '--idle', '0', ...pin, ...node] : node;
  const child = start('flooder', cmd!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  const result = new Promise<FloodPhase['flooder']>((resolve) => child.once('exit', () => {
    try {
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as FloodPhase['flooder']);
    } catch {
      resolve(undefined);
    }
  }));
  return { child, result };
}

async function runPhase(sys: System, carriers: Carriers, o: FloodOptions, name: string, foreign: 'reject' | 'drop', sched: FlooderSched | undefined, dir: string): Promise<FloodPhase> {
  const flood = sched !== undefined;
  const system = sys.name === 'kamailio' ? 'kamailio' : 'trunkwise';
  const calls = o.rate * o.seconds;
  const [uacPort] = (await freePorts(1)) as [number];
  const filter = `udp and not host ${FOE} and port ${sys.sipPort} and (${payloadStarts('INVITE')} or (${payloadStarts('SIP/')} and udp[16:1] != 0x31))`;
  const cap = await startCapture(path.join(dir, `${name.replace(/\W+/g, '-')}.pcap`), filter);
  const before = await sys.counters();
  const kernelBefore = rcvbufErrors();
  const sampler = new CpuSampler();
  sampler.add('sut', () => sys.pids(), true);
  sampler.add('carriers', () => carriers.pids());
  const flooder = sched ? startFlooder(sys.sipPort, o.seconds + 6, sched, o.netns?.senderCore) : undefined;
  sampler.add('flooder', () => (flooder?.child.pid ? [flooder.child.pid] : []));
  sampler.start();
  if (flooder) await sleep(3000); // the flood is at full speed before the first call
  const t0 = Date.now();
  const uac = startUac({
    scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sys.sipPort}`, localPort: uacPort, rate: o.rate, calls, holdMs: o.holdMs,
    boundMs: (o.seconds + 20) * 1000 + o.holdMs, recvTimeoutMs: 10_000,
  });
  sampler.add('uac', () => [uac.pid]);
  const s = await withProgress(name, uac.done, () => {
    const p = uac.progress();
    return `${p.outgoing}/${calls} placed, ${p.successful} ok, ${p.failed} failed, ${p.retransmissions} retrans`;
  });
  const t1 = Date.now();
  const fl = flooder ? await flooder.result : undefined;
  sampler.stop();
  const after = await sys.counters();
  const kernelDropped = rcvbufErrors() - kernelBefore;
  const capStats = await cap.stop();
  const summary = summarise(callSetups(readSipPackets(cap.file), uacPort, sys.sipPort));
  rmSync(cap.file, { force: true });
  await sleep(1500);
  const pssAfter = new CpuSampler();
  pssAfter.add('sut', () => sys.pids(), true);
  pssAfter.sample();
  const engine = after && before && Object.fromEntries(Object.keys(after).map((k) => [k, after[k as keyof Counters] - before[k as keyof Counters]])) as Counters;
  return {
    system, name, foreign, flood, ...(sched && { sched }), calls,
    sipp: { successful: s.successful, failed: s.failed, retransmissions: s.retransmissions, unfinished: Math.max(0, calls - s.successful - s.failed) },
    successPct: Math.round((s.successful / calls) * 10_000) / 100,
    capture: { ...summary, dropped: capStats.dropped },
    ...(fl && { flooder: fl }),
    ...(engine && { engine }),
    cpu: { sutPct: sampler.cpuPct('sut', t0, t1), flooderPct: sampler.cpuPct('flooder', t0, t1), uacPct: sampler.cpuPct('uac', t0, t1), carriersPct: sampler.cpuPct('carriers', t0, t1) },
    sutPeakPssMiB: sampler.peakPssMiB('sut'),
    sutPssAfterMiB: pssAfter.peakPssMiB('sut'),
    loadAvg: Math.round(os.loadavg()[0]! * 10) / 10,
    kernelRcvbufErrors: kernelDropped,
  };
}

function phaseLine(p: FloodPhase): string {
  const l = p.capture.latencyMs;
  return `${p.system}, ${p.name}: ${p.sipp.successful}/${p.calls} ok (${p.successPct} %), ${p.sipp.failed} failed, retrans ${p.sipp.retransmissions}, setup p50/p99/p99.9 ${l ? `${l.p50}/${l.p99}/${l.p999}` : 'n/a'} ms, `
    + `${p.flooder ? `flood ${n(p.flooder.perSecond)} msg/s sent, ` : ''}kernel dropped ${n(p.kernelRcvbufErrors)}, ${p.engine ? `engine refused-foreign ${n(p.engine.refusedForeign)} (403 ${n(p.engine.foreignAnswered403)}), ` : ''}CPU ${p.cpu.sutPct} %, PSS peak ${p.sutPeakPssMiB} MiB`;
}

export async function runFlood(o: FloodOptions): Promise<FloodRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-flood-'));
  const phases: FloodPhase[] = [];
  let describe = '';
  let kamailio: string | undefined;
  // Built before the carriers start, so a failed build leaves no SIPp behind.
  const build = o.systems.includes('trunkwise') ? buildOnce() : undefined;
  const carriers = await startCarriers().catch((err: Error) => {
    build?.remove();
    throw err;
  });
  try {
    // One process per phase: the reject phase used to follow the baseline in the same process and
    // started with the heap 6,000 calls had grown (PSS 190 → 272 MiB at its peak), the drop phase on a
    // fresh one — its p99 under flood was 2.2× the baseline's, the reject phase's 4.7–5.0×.
    const plans: Array<readonly [string, 'reject' | 'drop', FlooderSched | undefined]> = [['no flood', 'reject', undefined]];
    for (const sched of o.flooderSched) {
      const who = sched === 'idle' ? 'flood (sender SCHED_IDLE)' : 'flood';
      plans.push([`${who}, foreign reject`, 'reject', sched], [`${who}, foreign drop`, 'drop', sched]);
    }
    for (const [system, [name, foreign, sched]] of o.systems.flatMap((s) => plans.map((p) => [s, p] as const))) {
      const sys = system === 'kamailio' ? await startKamailioSystem(carriers, foreign, dir, os.cpus().length) : await startTrunkwiseSystem(carriers, foreign, dir, build?.dir);
      if (system === 'kamailio') kamailio = sys.describe.replace(/FOREIGN_(REJECT|DROP)/, 'FOREIGN_REJECT|FOREIGN_DROP');
      else describe = sys.describe;
      try {
        const smoke = await smokeCheck(sys, carriers);
        if (smoke.successful !== smoke.calls) throw new Error(`smoke check: ${smoke.successful}/${smoke.calls} calls (see ${dir})`);
        // A fresh process is cold (JIT): its first seconds of calls have a longer tail (docs/perf-tail.md,
        // finding 2). Both systems get the e2e benchmark's unmeasured warm-up, so every phase starts alike.
        const w = await warmUp(sys, WARMUP.cps, WARMUP.seconds, o.holdMs);
        say(`flood: ${system} warm-up ${w.successful}/${w.calls} calls at ${WARMUP.cps} calls/s (not measured)`);
        await drainedCounts(sys, 45); // the warm-up's windows close first (Kamailio: no counts, no wait)
        say(`flood: ${system}, ${name} — ${o.rate} calls/s × ${o.seconds} s${sched ? `, foreign sender on ${FOE} as fast as it can (${sched})` : ''}`);
        const p = await runPhase(sys, carriers, o, name, foreign, sched, dir);
        phases.push(p);
        say(`  ${phaseLine(p)}`);
        // The engine must be back to 0 transactions and dialogs after the phase (their 32 s windows).
        const c = await drainedCounts(sys, 45);
        if (c) {
          p.engineAfter = c;
          say(`  engine ${c.afterS} s after the phase: ${countsLine(c)}`);
        }
      } finally {
        await sys.stop();
      }
    }
  } finally {
    await carriers.stop();
    build?.remove();
  }
  rmSync(dir, { recursive: true, force: true });
  return { describe, ...(kamailio !== undefined && { kamailio }), phases, verdict: verdict(phases) };
}

/**
 * Issue 9's targets, for trunkwise, per flood phase; Kamailio's phases under the same flood are shown
 * beside them. The verdict's booleans are over the phases with the sender sharing the cores, when run.
 */
function verdict(all: readonly FloodPhase[]): FloodRun['verdict'] {
  const phases = all.filter((p) => p.system === 'trunkwise');
  const base = phases.find((p) => !p.flood);
  const floods = phases.filter((p) => p.flood);
  const judged = floods.some((p) => p.sched === 'shared') ? floods.filter((p) => p.sched === 'shared') : floods;
  const baseP99 = base?.capture.latencyMs?.p99 ?? 0;
  const p99Met = (p: FloodPhase): boolean => (p.capture.latencyMs?.p99 ?? Infinity) <= 2 * baseP99;
  const successOk = judged.every((p) => p.successPct >= 99);
  const p99Ok = judged.every(p99Met);
  // Memory is bounded when the flood adds no more than a fixed margin over the baseline peak.
  const memoryOk = judged.every((p) => p.sutPeakPssMiB <= (base?.sutPeakPssMiB ?? 0) * 1.5 + 64);
  const text = floods.map((p) => `${p.name}: success ${p.successPct} % (target ≥ 99 %) ${p.successPct >= 99 ? 'met' : 'NOT met'}; p99 setup ${p.capture.latencyMs?.p99 ?? 'n/a'} ms vs ${baseP99} ms without flood `
    + `(${ratio(p.capture.latencyMs?.p99, baseP99)}, target ≤ 2×) ${p99Met(p) ? 'met' : 'NOT met'}; PSS peak ${p.sutPeakPssMiB} MiB vs ${base?.sutPeakPssMiB ?? 'n/a'} MiB without flood.`);
  const kBase = all.find((p) => p.system === 'kamailio' && !p.flood);
  for (const k of all.filter((p) => p.system === 'kamailio' && p.flood)) {
    text.push(`Kamailio (reference), ${k.name}: success ${k.successPct} %, p99 setup ${k.capture.latencyMs?.p99 ?? 'n/a'} ms vs ${kBase?.capture.latencyMs?.p99 ?? 'n/a'} ms without flood (${ratio(k.capture.latencyMs?.p99, kBase?.capture.latencyMs?.p99 ?? 0)}).`);
  }
  return { successOk, p99Ok, memoryOk, text };
}

export function writeFlood(dir: string, m: MachineInfo, o: FloodOptions, run: FloodRun): void {
  const method = [
    `Carriers: five SIPp UAS (bench/scenarios/uas-bench-carrier.xml) on 127.0.0.1, as in the e2e benchmark. Caller: SIPp UAC bench/scenarios/uac-bench-call.xml from 127.0.0.1 (allowlisted) at ${o.rate} calls/s for ${o.seconds} s (${o.rate * o.seconds} calls per phase), hold ${o.holdMs} ms, -recv_timeout 10 s.`,
    `trunkwise: ${run.describe}. The engine admits the allowlist plus the carriers' addresses; every other source is foreign.`,
    ...(run.kamailio ? [`Kamailio (reference, the e2e benchmark's dispatcher proxy, one UDP worker per core): ${run.kamailio}; its request route first answers any source but 127.0.0.1 with a stateless 403 (reject) or nothing (drop). Garbage is dropped by its parser. Its CPU and memory are of the whole process tree.`] : []),
    `Flood: one node process bound to ${FOE}, sending pre-built INVITEs, OPTIONS and 200-byte garbage round-robin to trunkwise's UDP port as fast as one sender can (at most 512 sends outstanding), from 3 s before the first call until 3 s after the last is placed; bounded by its own timer.`,
    'Where the sender runs: on this box, so it takes CPU a real attacker\'s host would spend. "flood" phases run it as an ordinary process: it takes about one of the two cores, and the system under test, six SIPp processes and dumpcap share the other — the measure of a flood *and* a CPU thief. "flood (sender SCHED_IDLE)" phases start it under `chrt --idle 0`: it runs only on CPU no other process wants, and on a box with a core to spare still sends at nearly the same rate — the nearest one box comes to a sender on another host.',
    o.netns
      ? `Network: the whole run (both systems, SIPp, dumpcap, the sender) is inside a network namespace made for it (${o.netns.name}, deleted after), whose loopback steers received packets by RPS to cores mask ${o.netns.rpsMask}; the SCHED_IDLE sender is pinned to core ${o.netns.senderCore}, outside that mask. So every datagram — the flood's and the calls' — is received in softirq on the masked cores, at softirq priority, as a NIC's would be: the receive work a real flood costs this host stays on this host, and only the sending is the attacker's. On a plain loopback the receive path runs inside the sender's send call and would be deprioritised with it.`
      : 'Network: plain loopback. The kernel\'s receive path (socket lookup, the socket filter, queueing) runs inside the sender\'s send call, so in the SCHED_IDLE phases that receive work — softirq work on this host in a real network — is deprioritised with the sender; run `npx tsx bench/flood.bench.ts --netns` (root) to keep it on this host.',
    'Phases one after the other, per system, each on a fresh process: no flood (baseline), flood with `--foreign reject` (trunkwise: stateless 403, 10/s per source, 200/s in total), flood with `--foreign drop`. After each start, ' + `${WARMUP.seconds} s of unmeasured calls at ${WARMUP.cps} calls/s` + ' warm the process up (a cold one has a longer tail) and their transactions\' windows are let close; after each phase trunkwise\'s engine is polled until its transactions and dialogs are back to 0 (their 32 s windows; at most 45 s; the carriers\' OPTIONS probes apart). So every phase starts from the same state — before 4 Dec the reject phase ran on the baseline\'s process, with the heap its 6,000 calls had grown.',
    "Setup latency: first INVITE from the caller → first final response to it, per Call-ID, from a dumpcap capture on lo whose kernel filter excludes the flood host. Success: SIPp's successful calls / calls placed.",
    `"kernel filter": whether, at the end of the phase, the engine had handed the allowlist to the kernel as a socket filter (src/engine/transport/flood-guard.ts: past ${n(DEFAULT_LIMITS.foreignFloodRate)} foreign requests/s; foreign requests are then dropped before they are queued, 1 in ${n(DEFAULT_LIMITS.foreignFloodSample)} still reaches the gate — so "engine received" and "refused foreign" count that sample).`,
    '"kernel dropped": Udp RcvbufErrors from /proc/net/snmp over the phase — datagrams (flood and legitimate alike) the kernel discarded because trunkwise\'s socket buffer was full, i.e. it did not drain the socket as fast as the flood filled it. On a shared machine other processes\' drops count too.',
    'CPU: /proc/PID/task/*/schedstat over the calling window (% of one core). Memory: PSS of the trunkwise process, peak (sampled once a second) and 1.5 s after the phase.',
    `Load average (1 min, ${m.cores} cores) at the end of each phase is shown: the machine is shared, and other work competes with the flood for the same cores.`,
    'Targets (issue 9): under flood ≥ 99 % success and p99 setup ≤ 2× the no-flood p99; memory bounded.',
  ];
  const rows = run.phases.map((p) => {
    const l = p.capture.latencyMs;
    return [p.system, p.name, p.flooder ? n(p.flooder.perSecond) : '—', p.engine ? n(p.engine.received) : '—', n(p.kernelRcvbufErrors), p.engine ? n(p.engine.refusedForeign) : '—', p.engine ? n(p.engine.foreignAnswered403) : '—',
      p.engine ? (p.engine.kernelFilterSockets > 0 ? 'yes' : 'no') : '—',
      `${p.sipp.successful} / ${p.calls}`, `${p.successPct} %`, p.sipp.retransmissions, l ? `${l.p50} / ${l.p99} / ${l.p999}` : '—',
      p.cpu.sutPct, p.flooder?.systemPct !== undefined ? `${p.cpu.flooderPct} (kernel ${p.flooder.systemPct})` : p.cpu.flooderPct, p.sutPeakPssMiB, p.sutPssAfterMiB, p.loadAvg];
  });
  const md = [
    ...header('Flood: allowlisted calls while a foreign source floods trunkwise (and Kamailio)', m, method),
    '## Result', '',
    ...table(['system', 'phase', 'flood sent msg/s', 'engine received', 'kernel dropped (buffer full)', 'refused foreign', '403 sent', 'kernel filter', 'calls ok', 'success', 'caller retrans', 'setup ms p50 / p99 / p99.9',
      'system CPU %', 'flooder CPU % (its kernel share)', 'PSS peak MiB', 'PSS after MiB', 'load avg'], rows),
    ...run.verdict.text.map((s) => `- ${s}`), '',
    ...run.phases.filter((p) => p.engineAfter).map((p) => `- trunkwise engine ${p.engineAfter!.afterS} s after "${p.name}": ${countsLine(p.engineAfter!)}.`), '',
  ];
  writeResult(dir, 'flood', md, { machine: m, options: o, ...run });
}

/** The flood sender (child process): INVITE, OPTIONS, garbage round-robin, as fast as it can, for `seconds`. */
async function flooder(to: string, from: string, seconds: number): Promise<void> {
  const [host, portText] = to.split(':') as [string, string];
  const port = Number(portText);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, from, () => r()));
  const me = `${from}:${sock.address().port}`;
  const req = (method: string, i: number): Buffer => Buffer.from([
    `${method} sip:+4930${i}@${host}:${port} SIP/2.0`, `Via: SIP/2.0/UDP ${me};branch=z9hG4bK-fl${i};rport`, 'Max-Forwards: 70',
    `From: <sip:flood@${from}>;tag=fl${i}`, `To: <sip:+4930${i}@${host}>`, `Call-ID: flood-${i}@${from}`, `CSeq: 1 ${method}`, `Contact: <sip:flood@${me}>`,
    'Content-Length: 0', '', '',
  ].join('\r\n'));
  const msgs: Buffer[] = [];
  for (let i = 0; i < 300; i++) msgs.push(req('INVITE', i), req('OPTIONS', i), Buffer.from(Array.from({ length: 200 }, (_, k) => (i * 31 + k * 7) % 256)));
  let sent = 0;
  let errors = 0;
  let outstanding = 0;
  let i = 0;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const end = t0 + seconds * 1000;
  const done = (err: Error | null): void => {
    outstanding--;
    if (err) errors++;
    else sent++;
  };
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (Date.now() >= end) return resolve();
      for (let k = 0; k < 256 && outstanding < 512; k++) {
        outstanding++;
        sock.send(msgs[i++ % msgs.length]!, port, host, done);
      }
      setImmediate(pump);
    };
    pump();
  });
  const s = (Date.now() - t0) / 1000;
  sock.close();
  const cpu = process.cpuUsage(cpu0);
  const pct = (us: number): number => Math.round(us / s / 1000) / 10; // % of one core, one decimal
  process.stdout.write(`${JSON.stringify({ sent, errors, seconds: Math.round(s * 10) / 10, perSecond: Math.round(sent / s), userPct: pct(cpu.user), systemPct: pct(cpu.system) })}\n`);
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
  return v;
}

if (require.main === module) {
  const fi = process.argv.indexOf('--flooder');
  if (process.argv.includes('--netns') && !process.argv.includes('--inside-netns')) {
    // The same command again inside a namespace of its own (bench/lib/netns.ts), which is removed after.
    if (!canUseNetns() || os.cpus().length < 2) {
      console.error('flood: --netns needs root, iproute2 (`ip`) and two cores (one for the receive path, one for the sender)');
      process.exit(1);
    }
    const name = `tw-bench-flood-${process.pid}`;
    const argv = [process.execPath, '--import', 'tsx', __filename, ...process.argv.slice(2).filter((a) => a !== '--netns'), '--inside-netns', name];
    void runInNetns(name, allButLastCoreMask(os.cpus().length), argv).then((code) => process.exit(code), (err: Error) => {
      console.error(`flood: ${err.message}`);
      process.exit(1);
    });
  } else if (fi >= 0) {
    void flooder(process.argv[fi + 1]!, process.argv[fi + 2]!, Math.min(600, Number(process.argv[fi + 3]))).then(() => process.exit(0));
  } else {
    const si = process.argv.indexOf('--systems');
    const systems = si >= 0 ? process.argv[si + 1]!.split(',').filter((s): s is 'trunkwise' | 'kamailio' => s === 'trunkwise' || s === 'kamailio') : FLOOD_DEFAULTS.systems;
    const fi2 = process.argv.indexOf('--flooder-sched');
    const flooderSched = fi2 >= 0 ? process.argv[fi2 + 1]!.split(',').filter((s): s is FlooderSched => s === 'shared' || s === 'idle') : FLOOD_DEFAULTS.flooderSched;
    const ni = process.argv.indexOf('--inside-netns');
    const cores = os.cpus().length;
    const o: FloodOptions = {
      ...FLOOD_DEFAULTS, systems, flooderSched, rate: arg('rate', FLOOD_DEFAULTS.rate), seconds: Math.min(120, arg('seconds', FLOOD_DEFAULTS.seconds)),
      // The outer process refused --netns on fewer than two cores, so the run inside always has a core to pin the sender to.
      ...(ni >= 0 && { netns: { name: process.argv[ni + 1]!, rpsMask: allButLastCoreMask(cores), senderCore: cores - 1 } }),
    };
    const oi = process.argv.indexOf('--out');
    const out = oi >= 0 ? path.resolve(process.argv[oi + 1]!) : path.join(__dirname, 'results');
    const m = { ...machineInfo(), tools: toolVersions() };
    say(`flood benchmark on ${machineLine(m)}; results → ${out}`);
    runFlood(o).then((run) => {
      mkdirSync(out, { recursive: true });
      writeFlood(out, m, o, run);
      for (const t of run.verdict.text) say(t);
      say(`wrote ${out}/flood.md, flood.json`);
      killAll();
    }, (err: Error) => {
      console.error(`flood: ${err.message}`);
      killAll();
      process.exit(1);
    });
  }
}
