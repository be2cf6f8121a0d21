/** bench/results/e2e.md + e2e.json + the two e2e plots, from the runs of bench/e2e.bench.ts (and the profile, when taken). */
import path from 'node:path';
import { P99_LIMIT_MS, type E2eOptions, type StepResult, type SystemRun } from '../e2e.bench';
import type { ProfileRun } from '../profile.bench';
import type { MachineInfo } from './machine';
import { writeChartPng, type Series } from './plot';
import { header, n, ratio, table, writeResult } from './report';

export const COLORS: Record<string, string> = { trunkwise: '#d62728', kamailio: '#1f77b4' };
export const LABEL: Record<string, string> = { trunkwise: 'trunkwise', kamailio: 'Kamailio' };

export function e2eMethod(o: E2eOptions): string[] {
  return [
    'Caller (the IVR): SIPp UAC, bench/scenarios/uac-bench-call.xml — INVITE with SDP → 100/180 → 200 → ACK → hold → BYE → 200, over UDP on 127.0.0.1.',
    'Carriers: five SIPp UAS processes, bench/scenarios/uas-bench-carrier.xml (INVITE → 100, 200 at once — no 180, see the scenario file; OPTIONS → 200), weights 30/25/20/15/10, each on its own loopback port. The same five serve both systems.',
    `trunkwise: ${o.trunkwiseBuild === 'dist'
      ? 'the compiled build the Docker image runs (npm run build into a temp dir once per benchmark run; node --enable-source-maps BUILD/bin/trunkwise.js; `--trunkwise-build sources` runs src/main.ts under tsx instead)'
      : 'src/main.ts under tsx (--trunkwise-build sources; production runs the compiled build)'} with the node flags shown below (embedded engine, one Node process), a generated carriers.yaml with those weights and one default route (health-weighted, maxAttempts 3, attemptNoProvisionalMs 2000, retry on timeout/408/5xx/transport, media direct); admission limits raised to 100,000 calls/s so the limiter is not what is measured; LOG_LEVEL=info (one CDR line per call) to a file.`,
    `Kamailio: bench/kamailio/kamailio.cfg — stateful proxy (tm, t_relay), record_route, dispatcher algorithm 9 (weight) over the same five carriers with the same weights, at most 3 destinations per call, failure_route → ds_next_dst on 5xx/408/timeout, fr_timer 2000 ms / fr_inv_timer 60 s, OPTIONS probing every second. ${o.kamailioChildren} UDP worker processes (-n ${o.kamailioChildren}: one per core of this machine; more workers than cores only adds context switches, and SIPp needs CPU too) plus Kamailio's own timer/helper processes.`,
    `Ramp: ${o.rates.join(', ')} calls/s; each step places rate × ${o.stepSeconds} calls with a ${o.holdMs} ms hold, SIPp -l rate×6 calls at once, -recv_timeout 10 s, hard bound ${o.stepSeconds + 15} s + hold; 2 s pause between steps. The systems run one after the other, never together; each gets a fresh start, and a 50-call smoke check must complete over at least two carriers before its ramp. A system's ramp stops at its first unsustained step.`,
    ...(o.warmup.cps > 0 && o.warmup.seconds > 0
      ? [`Warm-up: after the smoke check and before the ramp, ${o.warmup.seconds} s of calls at ${o.warmup.cps} calls/s, not measured, for both systems — a production process is warm (its code compiled by the JIT, its heap grown); without it the first step measured trunkwise's JIT warm-up.`]
      : []),
    'Failed calls and retransmissions: SIPp\'s own counters (caller FailedCall, Retransmissions; carriers\' retransmissions summed). "Unfinished" = placed calls neither successful nor failed when SIPp stopped.',
    'Setup latency = time from the caller\'s first INVITE reaching the system to the system\'s first final response to it going back to the caller, per Call-ID, from a dumpcap capture on `lo` (kernel timestamps, µs), over every call of the step (a kernel BPF filter keeps only INVITEs and non-1xx responses on the system\'s port). "carrier part" = the same measured on the carrier side (system → carrier INVITE to carrier\'s final response): the SIPp carriers\' own answer time, common to both systems.',
    'Achieved calls/s = (INVITEs − 1) / (last INVITE − first INVITE) in the capture.',
    'CPU: /proc/PID/task/*/schedstat (ns of run time, all threads; tick-based counters undercount on these machines), sampled every 250 ms; % of one core over the steady part of the step (1 s after the first INVITE to the last INVITE). Kamailio = the sum over all its processes. "ms/call" = the system\'s CPU over the whole step (drain included) / calls. The load generators\' CPU is shown so a saturated machine is visible: 100 % per core, ' + 'the machine has the cores listed below.',
    'Memory: PSS (proportional set size, /proc/PID/smaps_rollup) summed over the system\'s processes, peak sampled once a second — Kamailio\'s workers share one shm pool, which PSS counts once.',
    `Max sustainable calls/s (issue 11): the highest step with 0 failed and 0 unfinished calls (caller and carrier SIPp alike), every INVITE answered 2xx, achieved ≥ 90 % of offered, the step within its time bound, **and setup p99 ≤ ${P99_LIMIT_MS} ms** — a quarter-second tail is not "sustained" for someone waiting for an alarm call. "0 failed" = the same without the p99 condition (the definition before issue 11), shown beside it. Retransmissions do not disqualify a step but are reported; "clean" = also 0 retransmissions. A ramp stops after 2 steps in a row with failures.`,
    'Engine counts (trunkwise): server/client transactions and dialogs from GET /health right after each step (finished transactions wait out their 32 s windows) and once more after the ramp, polled until 0 (at most 45 s). Client transactions exclude the carriers\' OPTIONS probes (`clientOptionsTransactions`: about 25 always open — five carriers probed every second, each probe in timer K for 5 s), shown apart.',
  ];
}

function stepRow(s: StepResult): Array<string | number> {
  const l = s.capture.latencyMs;
  return [s.offeredCps, s.capture.achievedCps, s.calls, s.sipp.successful, s.sipp.failed, s.sipp.unfinished, `${s.sipp.retransmissions} / ${s.carriers.retransmissions}`,
    l ? `${l.p50} / ${l.p99} / ${l.p999}` : '—', n(s.capture.carrierAnswerMs?.p50), s.cpu.sutPct, s.cpu.sutCpuMsPerCall, s.cpu.uacPct, s.cpu.carriersPct, s.cpu.dumpcapPct,
    s.sutPssMiB, s.engineAfter ? `${s.engineAfter.serverTransactions} / ${s.engineAfter.clientTransactions} / ${s.engineAfter.dialogs}` : '—',
    s.sustained ? (s.sustainedP99 ? 'yes' : `0 failed, p99 > ${P99_LIMIT_MS} ms`) : `**no**${s.notes.length ? ` (${s.notes.join('; ')})` : ''}`];
}

const STEP_HEAD = ['offered cps', 'achieved cps', 'calls', 'ok', 'failed', 'unfinished', 'retrans caller / carriers', 'setup ms p50 / p99 / p99.9', 'carrier part p50 ms',
  'system CPU %', 'system CPU ms/call', 'SIPp caller CPU %', 'SIPp carriers CPU %', 'dumpcap CPU %', 'PSS MiB', 'engine txns srv / cli / dialogs after', 'sustained'];

/** "sustained": yes = 0 failed and p99 ≤ the limit; p99 = 0 failed but the tail too long; no = failures. */
export const RATIO_HEAD = ['offered cps', 'sustained tw / kam', 'CPU %', 'CPU ms/call', 'setup p50', 'setup p99', 'setup p99.9', 'PSS'];

export function ratioRows(runs: readonly SystemRun[]): Array<Array<string | number>> {
  const tw = runs.find((r) => r.system === 'trunkwise');
  const ka = runs.find((r) => r.system === 'kamailio');
  if (!tw || !ka) return [];
  return tw.steps.flatMap((a) => {
    const b = ka.steps.find((x) => x.offeredCps === a.offeredCps);
    if (!b) return [];
    const yes = (s: StepResult): string => (s.sustainedP99 ? 'yes' : s.sustained ? 'p99' : 'no');
    return [[a.offeredCps, `${yes(a)} / ${yes(b)}`, ratio(a.cpu.sutPct, b.cpu.sutPct), ratio(a.cpu.sutCpuMsPerCall, b.cpu.sutCpuMsPerCall),
      ratio(a.capture.latencyMs?.p50, b.capture.latencyMs?.p50), ratio(a.capture.latencyMs?.p99, b.capture.latencyMs?.p99), ratio(a.capture.latencyMs?.p999, b.capture.latencyMs?.p999), ratio(a.sutPssMiB, b.sutPssMiB)]];
  });
}

export function profileSection(p: ProfileRun | undefined): string[] {
  if (!p) return [];
  if (!p.summary) return ['## Where trunkwise spends its time', '', `Profile not taken: ${p.error ?? 'unknown error'}.`, ''];
  const s = p.summary;
  return ['## Where trunkwise spends its time (node --cpu-prof)', '',
    `trunkwise under V8's sampling profiler at ${p.rate} calls/s for ${p.seconds} s (${p.successful} of ${p.calls} calls ok, ${p.failed} failed; the profiler itself costs some CPU). `
    + `Profile ${s.totalMs.toLocaleString('en')} ms, of which idle ${s.idlePct} %. Self time by area (script URL):`, '',
    ...table(['area', 'self ms', '% of profile'], s.byArea.map((r) => [r.name, r.selfMs, r.pct])),
    'Top functions by self time:', '',
    ...table(['function (file:line)', 'self ms', '%'], s.topFunctions.map((r) => [`\`${r.name.replace(/\|/g, '\\|')}\``, r.selfMs, r.pct]))];
}

export function writeProfile(dir: string, m: MachineInfo, p: ProfileRun): void {
  writeResult(dir, 'profile', [...header('trunkwise CPU profile under load', m, [
    'trunkwise started as in e2e.md (the compiled build), but under `node --cpu-prof`; the same SIPp caller and carriers; a fixed rate for a fixed time; SIGTERM, drain, exit writes the profile.',
    'Self time per function and per area (script URL: src/<module>, npm package, node internals, V8 pseudo-frames such as (garbage collector) and (program)).',
  ]), ...profileSection(p)], { benchmark: 'profile', machine: m, profile: p });
}

export async function writeE2e(dir: string, m: MachineInfo, o: E2eOptions, runs: readonly SystemRun[], profile: ProfileRun | undefined, analysis: readonly string[]): Promise<void> {
  const tw = runs.find((r) => r.system === 'trunkwise');
  const ka = runs.find((r) => r.system === 'kamailio');
  const md = [...header('End-to-end load: trunkwise and Kamailio, same run', m, e2eMethod(o)), '## Result', '',
    ...table(['system', `max sustainable calls/s (0 failed, p99 ≤ ${P99_LIMIT_MS} ms)`, 'max calls/s with 0 failed', 'engine after the ramp'], runs.map((r) => [LABEL[r.system]!,
      `**${r.maxSustainableCps}**${r.error ? ` (error: ${r.error})` : ''}`, r.maxZeroFailCps ?? '—',
      r.engineDrained ? `${r.engineDrained.serverTransactions} / ${r.engineDrained.clientTransactions} transactions, ${r.engineDrained.dialogs} dialogs after ${r.engineDrained.afterS} s${r.engineDrained.probeTransactions ? ` (+ ${r.engineDrained.probeTransactions} OPTIONS probes)` : ''}` : '—'])),
    ...(tw && ka ? [`trunkwise / Kamailio max sustainable: **${ratio(tw.maxSustainableCps, ka.maxSustainableCps)}** (0 failed only: ${ratio(tw.maxZeroFailCps, ka.maxZeroFailCps)})`, ''] : []),
    ...analysis.map((a) => `${a}\n`),
    '![setup latency vs calls/s](e2e-latency.png)', '', '![CPU vs calls/s](e2e-cpu.png)', ''];
  for (const r of runs) {
    md.push(`## ${LABEL[r.system]}`, '', `Started as: \`${r.describe}\``, '',
      `Smoke check: ${r.smoke.successful}/${r.smoke.calls} calls completed; calls per carrier ${JSON.stringify(r.smoke.perCarrier)} (OPTIONS probes included).`, '',
      ...table(STEP_HEAD, r.steps.map(stepRow)));
  }
  const rr = ratioRows(runs);
  if (rr.length) md.push('## trunkwise / Kamailio at the same offered rate', '', '(< 1× means trunkwise uses less / is faster.)', '',
    ...table(RATIO_HEAD, rr));
  md.push(...profileSection(profile));
  writeResult(dir, 'e2e', md, { benchmark: 'e2e', machine: m, method: e2eMethod(o), options: o, runs, profile });

  const sustainedPts = (r: SystemRun, f: (s: StepResult) => number | undefined): Array<[number, number]> =>
    r.steps.filter((s) => s.capture.latencyMs).map((s) => [s.capture.achievedCps, f(s) ?? 0]);
  const lat: Series[] = runs.flatMap((r) => [
    { name: `${LABEL[r.system]} p50`, color: COLORS[r.system]!, points: sustainedPts(r, (s) => s.capture.latencyMs?.p50) },
    { name: `${LABEL[r.system]} p99`, color: COLORS[r.system]!, dashed: true, points: sustainedPts(r, (s) => s.capture.latencyMs?.p99) },
  ]);
  await writeChartPng({ title: 'Setup latency vs calls/s', subtitle: `INVITE in → final response out, at the system's port (loopback capture) · ${m.cpuModel} × ${m.cores}`,
    xLabel: 'achieved calls/s', yLabel: 'setup latency, ms', logY: true, series: lat }, path.join(dir, 'e2e-latency.png'));
  const cpu: Series[] = runs.map((r) => ({ name: `${LABEL[r.system]} (all processes)`, color: COLORS[r.system]!, points: r.steps.map((s) => [s.capture.achievedCps, s.cpu.sutPct] as [number, number]) }));
  await writeChartPng({ title: 'CPU vs calls/s', subtitle: `schedstat, % of one core · ${m.cpuModel} × ${m.cores}`, xLabel: 'achieved calls/s', yLabel: 'system CPU, % of one core',
    series: cpu, hLines: [{ y: 100, label: 'one core' }, { y: m.cores * 100, label: `all ${m.cores} cores` }] }, path.join(dir, 'e2e-cpu.png'));
}
