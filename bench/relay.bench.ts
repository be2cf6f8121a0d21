/**
 * Embedded RTP relay benchmark: how many packets/s one relay process forwards per core, and how
 * many concurrent calls one core carries at 50 packets/s each way.
 * Usage: flock /tmp/trunkwise-heavy.lock npx tsx bench/relay.bench.ts [--quick]
 *
 * Method (printed and written with the results):
 *  - The relay (src/media MediaRelay on 127.0.0.1) runs alone in a child process (bench/lib/
 *    relay-server.ts); the load generator (bench/lib/relay-load.ts: one caller and one carrier
 *    socket per call, PCMU 172-byte packets) in another. CPU of each is read from
 *    /proc/PID/task/TID/schedstat (bench/lib/machine.ts cpuNs) over the measured window only.
 *  - Throughput: 20 calls, the generator sends as fast as it can (≤ 64 packets queued per socket)
 *    for 5 s. Reported: packets the relay forwarded per second of wall time, the relay's CPU, and
 *    forwarded packets per CPU-second (= packets/s one fully busy core would forward, if the
 *    generator could not saturate the relay).
 *  - Capacity: ramp 50, 100, 200, 400, 800, 1200, 1600, 2400 concurrent calls, each 50 packets/s per
 *    direction (20 ms spacing, calls spread over four 5 ms phases), 6 s per step, CPU measured over
 *    the last 4 s. Loss = 1 − packets received back by the endpoints / packets sent (end to end
 *    through the relay). The ramp stops after the first step with loss > 0.1 %, relay CPU ≥ 95 % of
 *    one core, or generator CPU ≥ 95 % (then the generator, not the relay, is the limit). The
 *    carried-calls figure is the last step within those limits, plus a CPU-linear extrapolation
 *    (calls per 100 % of a core) from that step.
 *  - Everything on loopback: no NIC, no interrupts; a real host adds kernel network cost per packet.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cpuNs, machineInfo, machineLine, machineMarkdown, rssMiB, type MachineInfo } from './lib/machine';
import { say, sleep } from './lib/log';
import { start, stop, killAll } from './lib/procs';
import { rpcClient, type RpcClient } from './lib/relay-ipc';
import type { EndpointPorts, RelayPorts, RelayTotals } from './lib/relay-server';
import type { LoadResult } from './lib/relay-load';

const QUICK = process.argv.includes('--quick');
const RAMP = QUICK ? [50, 200] : [50, 100, 200, 400, 800, 1200, 1600, 2400];
const STEP_S = QUICK ? 3 : 6;
const WARM_S = QUICK ? 1 : 2;
const BLAST_CALLS = 20;
const BLAST_S = QUICK ? 2 : 5;
const PORTS = { min: 20000, max: 31999 }; // 6000 pairs: 2 per call → ≤ 3000 calls
const LOSS_LIMIT = 0.001;
const CPU_LIMIT = 95;
const DEADLINE_MS = 170_000;

interface Child { proc: ChildProcess; rpc: RpcClient; pid: number }

async function child(name: string, file: string, args: string[]): Promise<Child> {
  const proc = start(name, process.execPath, ['--import', 'tsx', path.join(__dirname, 'lib', file), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const rpc = rpcClient(proc, name);
  const [first] = (await Promise.race([once(proc, 'message'), sleep(30_000).then(() => [undefined])])) as [unknown];
  if (!first || !proc.pid) throw new Error(`${name} did not start`);
  return { proc, rpc, pid: proc.pid };
}

interface BlastResult { calls: number; seconds: number; sent: number; forwarded: number; forwardedPerS: number; relayCpuPct: number; genCpuPct: number; forwardedPerCpuS: number }
interface Step {
  calls: number; offeredPps: number; sent: number; received: number; loss: number; relayMeasuredLoss: number;
  forwardedPerS: number; relayCpuPct: number; genCpuPct: number; relayRssMiB: number; ok: boolean; limit?: string;
}

async function withCalls<T>(relay: Child, load: Child, calls: number, fn: () => Promise<T>): Promise<T> {
  const ports = await load.rpc.call<EndpointPorts[]>('setup', { calls }, 120_000);
  const relayPorts = await relay.rpc.call<RelayPorts[]>('open', { calls: ports }, 120_000);
  await load.rpc.call('target', { ports: relayPorts });
  try {
    return await fn();
  } finally {
    const left = await relay.rpc.call<{ sessions: number; portsInUse: number }>('closeAll');
    await load.rpc.call('teardown');
    if (left.sessions || left.portsInUse) throw new Error(`relay leaked: ${JSON.stringify(left)}`);
  }
}

async function blast(relay: Child, load: Child): Promise<BlastResult> {
  return withCalls(relay, load, BLAST_CALLS, async () => {
    const before = await relay.rpc.call<RelayTotals>('totals');
    const r0 = cpuNs(relay.pid), g0 = cpuNs(load.pid), t0 = Date.now();
    const res = await load.rpc.call<LoadResult>('run', { mode: 'blast', seconds: BLAST_S });
    const wall = (Date.now() - t0) / 1000;
    const relayCpuS = (cpuNs(relay.pid) - r0) / 1e9;
    const genCpuS = (cpuNs(load.pid) - g0) / 1e9;
    const after = await relay.rpc.call<RelayTotals>('totals');
    const forwarded = after.forwarded - before.forwarded;
    // Rate over the same wall window as the CPU (sending + the 300 ms drain).
    return {
      calls: BLAST_CALLS, seconds: wall, sent: res.sent, forwarded, forwardedPerS: Math.round(forwarded / wall),
      relayCpuPct: Math.round((relayCpuS / wall) * 100), genCpuPct: Math.round((genCpuS / wall) * 100),
      forwardedPerCpuS: Math.round(forwarded / relayCpuS),
    };
  });
}

async function step(relay: Child, load: Child, calls: number): Promise<Step> {
  return withCalls(relay, load, calls, async () => {
    const run = load.rpc.call<LoadResult>('run', { mode: 'paced', seconds: STEP_S }, (STEP_S + 30) * 1000);
    await sleep(WARM_S * 1000);
    const r0 = cpuNs(relay.pid), g0 = cpuNs(load.pid), t0 = Date.now();
    await sleep((STEP_S - WARM_S) * 1000 - 100);
    const wall = (Date.now() - t0) / 1000;
    const relayCpuPct = Math.round(((cpuNs(relay.pid) - r0) / 1e9 / wall) * 100);
    const genCpuPct = Math.round(((cpuNs(load.pid) - g0) / 1e9 / wall) * 100);
    const relayRss = rssMiB(relay.pid);
    const res = await run;
    const tot = await relay.rpc.call<RelayTotals>('totals');
    const loss = res.sent > 0 ? Math.max(0, 1 - res.received / res.sent) : 0;
    const s: Step = {
      calls, offeredPps: calls * 100, sent: res.sent, received: res.received, loss,
      relayMeasuredLoss: tot.expected > 0 ? tot.lost / tot.expected : 0,
      forwardedPerS: Math.round(tot.forwarded / res.seconds), relayCpuPct, genCpuPct, relayRssMiB: relayRss, ok: true,
    };
    const limits = [
      loss > LOSS_LIMIT && `loss ${(loss * 100).toFixed(2)} % > 0.1 %`,
      relayCpuPct >= CPU_LIMIT && `relay CPU ${relayCpuPct} %`,
      genCpuPct >= CPU_LIMIT && `generator CPU ${genCpuPct} % (generator-limited)`,
    ].filter(Boolean) as string[];
    if (limits.length) {
      s.ok = false;
      s.limit = limits.join('; ');
    }
    return s;
  });
}

function report(m: MachineInfo, b: BlastResult, steps: Step[], method: string): { md: string; json: object } {
  const best = steps.filter((s) => s.ok).pop();
  const perCore = best && best.relayCpuPct > 0 ? Math.round((best.calls * 100) / best.relayCpuPct) : undefined;
  const rows = steps.map((s) => `| ${s.calls} | ${s.offeredPps} | ${s.forwardedPerS} | ${(s.loss * 100).toFixed(3)} % | ${(s.relayMeasuredLoss * 100).toFixed(3)} % | ${s.relayCpuPct} % | ${s.genCpuPct} % | ${s.relayRssMiB} | ${s.ok ? 'ok' : s.limit} |`);
  const md = [
    '# Embedded RTP relay benchmark', '', `Run: \`npx tsx bench/relay.bench.ts\`${QUICK ? ' --quick' : ''}`, '', machineMarkdown(m), '## Method', '', method, '',
    '## Throughput (one relay process)', '',
    '| calls | seconds | forwarded packets/s | relay CPU | generator CPU | forwarded packets per relay CPU-second |', '|---|---|---|---|---|---|',
    `| ${b.calls} | ${b.seconds.toFixed(1)} | ${b.forwardedPerS} | ${b.relayCpuPct} % | ${b.genCpuPct} % | ${b.forwardedPerCpuS} |`, '',
    '## Concurrent calls at 50 packets/s each way', '',
    '| calls | offered packets/s (both ways) | forwarded packets/s | end-to-end loss | relay-measured loss (RFC 3550) | relay CPU | generator CPU | relay RSS MiB | result |',
    '|---|---|---|---|---|---|---|---|---|', ...rows, '',
    best
      ? `Carried within limits: **${best.calls} calls** at ${best.relayCpuPct} % of one core (${best.forwardedPerS} packets/s forwarded); linear in CPU that is ≈ **${perCore} calls per core**.`
      : 'No step stayed within the limits.',
    '',
  ].join('\n');
  return { md, json: { machine: m, method, throughput: b, ramp: steps, carriedCalls: best?.calls ?? 0, callsPerCoreExtrapolated: perCore ?? null } };
}

async function main(): Promise<void> {
  const m = machineInfo();
  const method = (/\* Method[^\n]*\n([\s\S]*?)\*\//.exec(METHOD_SOURCE)?.[1] ?? '').split('\n').map((l) => l.replace(/^ \* ?/, '').replace(/^ /, '')).join('\n').trim();
  say(`machine: ${machineLine(m)}`);
  say(`method:\n${method}`);
  const t0 = Date.now();
  const relay = await child('relay-server', 'relay-server.ts', [String(PORTS.min), String(PORTS.max)]);
  const load = await child('relay-load', 'relay-load.ts', []);
  try {
    say(`throughput: ${BLAST_CALLS} calls, blast for ${BLAST_S} s`);
    const b = await blast(relay, load);
    say(`  forwarded ${b.forwardedPerS} packets/s, relay CPU ${b.relayCpuPct} %, generator CPU ${b.genCpuPct} %, ${b.forwardedPerCpuS} packets per relay CPU-second`);
    const steps: Step[] = [];
    for (const calls of RAMP) {
      if (Date.now() - t0 > DEADLINE_MS - (STEP_S + 15) * 1000) {
        say('  time budget reached: ramp stopped');
        break;
      }
      const s = await step(relay, load, calls);
      steps.push(s);
      say(`  ${calls} calls: ${s.forwardedPerS} packets/s forwarded, loss ${(s.loss * 100).toFixed(3)} % (relay RFC 3550: ${(s.relayMeasuredLoss * 100).toFixed(3)} %), relay CPU ${s.relayCpuPct} %, generator CPU ${s.genCpuPct} %, RSS ${s.relayRssMiB} MiB${s.ok ? '' : ` — stop: ${s.limit}`}`);
      if (!s.ok) break;
    }
    const { md, json } = report(m, b, steps, method);
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    if (!QUICK) {
      writeFileSync(path.join(dir, 'relay.md'), md);
      writeFileSync(path.join(dir, 'relay.json'), JSON.stringify(json, null, 2) + '\n');
      say(`wrote ${path.join(dir, 'relay.md')} and relay.json`);
    }
    console.log('\n' + md);
  } finally {
    await Promise.all([stop(relay.proc, 3000), stop(load.proc, 3000)]);
    killAll();
  }
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// The method text above, read from this file so the printed method cannot drift from the comment.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const METHOD_SOURCE: string = require('node:fs').readFileSync(__filename, 'utf8');

main().catch((err: unknown) => {
  console.error(err);
  killAll();
  process.exit(1);
});
