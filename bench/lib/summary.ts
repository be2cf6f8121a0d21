/** bench/results/summary.md: the headline numbers of every part, read back from the JSON results in the directory. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { E2eOptions, SystemRun } from '../e2e.bench';
import type { FailoverOptions, FailoverRun } from '../failover.bench';
import type { ProfileRun } from '../profile.bench';
import type { MachineInfo } from './machine';
import { LABEL, RATIO_HEAD, ratioRows } from './e2e-report';
import { targetRows } from './targets';
import { header, n, ratio, table } from './report';
import { writeFileSync } from 'node:fs';

interface E2eJson { machine: MachineInfo; options: E2eOptions; runs: SystemRun[]; profile?: ProfileRun }
interface FailoverJson { machine: MachineInfo; options: FailoverOptions; runs: FailoverRun[] }
interface EngineStepJson { rate: number; calls: number; successful: number; failed: number; engineMsPerCall: number; appMsPerCall?: number }
interface EngineJson { machine: { date: string }; results?: Partial<Record<'one' | 'tcp' | 'split', { steps: EngineStepJson[] }>> }
interface RoutingJson { machine: { date: string }; results: Array<{ carriers: number; routes: number; decision: { p50: number; p99: number }; bytesPerDecision: number }> }

function read<T>(dir: string, name: string): T | undefined {
  const f = path.join(dir, name);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as T) : undefined;
}

export function writeSummary(dir: string, m: MachineInfo, command: string, wallS: number, runStartedIso: string): void {
  const e2e = read<E2eJson>(dir, 'e2e.json');
  const fo = read<FailoverJson>(dir, 'failover.json');
  const routing = read<RoutingJson>(dir, 'routing.json');
  const when = (d: string | undefined): string => (d && d < runStartedIso ? ` (from an earlier run, ${d})` : '');
  const md = [...header('trunkwise benchmarks: summary', m, [
    `One command: \`${command}\` (${Math.round(wallS)} s wall). It installs what it needs (scripts/setup.sh bench: sip-tester, kamailio, tshark), then runs the parts below one at a time, all traffic on 127.0.0.1.`,
    'End-to-end (e2e.md): SIPp caller → system → five SIPp carriers, INVITE/200/ACK/BYE, a ramp of call rates; trunkwise and Kamailio (stateful dispatcher proxy, bench/kamailio/kamailio.cfg) in the same run, one after the other.',
    'Failover (failover.md): 100 calls/s, 2 s holds, one carrier silenced (SIGSTOP) and brought back (SIGCONT).',
    'Routing (routing.md): the decision function alone (matchRoute + rankCarriers) at 5, 50, 500 carriers.',
    'CPU from /proc/PID/task/*/schedstat; setup latency from a loopback packet capture (µs). Failures and retransmissions are reported as SIPp counted them.',
  ])];
  if (e2e) {
    const tw = e2e.runs.find((r) => r.system === 'trunkwise');
    const ka = e2e.runs.find((r) => r.system === 'kamailio');
    md.push(`## End to end${when(e2e.machine.date)}`, '',
      ...(tw && ka ? ['### Targets (issue 11): trunkwise / Kamailio, same run', '', ...table(['target', 'trunkwise', 'Kamailio', 'ratio', 'limit', 'met'], targetRows(tw, ka))] : []),
      ...table(['system', 'max sustainable calls/s (0 failed, p99 ≤ 50 ms)', 'max calls/s with 0 failed', 'at max sustainable: setup p50 / p99 / p99.9 ms', 'CPU % (1 core = 100)', 'CPU ms/call', 'PSS MiB'], e2e.runs.map((r) => {
        const s = r.steps.filter((x) => x.sustainedP99 ?? x.sustained).pop();
        const l = s?.capture.latencyMs;
        return [LABEL[r.system]!, `**${r.maxSustainableCps}**`, n(r.maxZeroFailCps), l ? `${l.p50} / ${l.p99} / ${l.p999}` : '—', n(s?.cpu.sutPct), n(s?.cpu.sutCpuMsPerCall), n(s?.sutPssMiB)];
      })),
      ...(tw && ka ? [`**trunkwise / Kamailio max sustainable calls/s: ${ratio(tw.maxSustainableCps, ka.maxSustainableCps)}** (0 failed only: ${ratio(tw.maxZeroFailCps, ka.maxZeroFailCps)})`, ''] : []),
      ...(tw?.engineDrained ? [`trunkwise engine after the ramp: ${tw.engineDrained.serverTransactions} server / ${tw.engineDrained.clientTransactions} client transactions, ${tw.engineDrained.dialogs} dialogs (${tw.engineDrained.afterS} s after the last step).`, ''] : []),
      ...(ratioRows(e2e.runs).length ? ['Ratios at the same offered rate (trunkwise / Kamailio; sustained: yes = 0 failed and p99 ≤ 50 ms, p99 = 0 failed but a longer tail):', '',
        ...table(RATIO_HEAD, ratioRows(e2e.runs))] : []),
      '![setup latency vs calls/s](e2e-latency.png)', '', '![CPU vs calls/s](e2e-cpu.png)', '');
    const p = e2e.profile?.summary;
    if (p) md.push(`Profile of trunkwise (profile.md) at ${e2e.profile!.rate} calls/s (details in e2e.md): ${p.byArea.filter((a) => a.name !== '(idle)').slice(0, 6).map((a) => `${a.name} ${a.pct} %`).join(', ')}.`, '');
  }
  const engine = read<EngineJson>(dir, 'engine.json');
  const split = engine?.results?.split?.steps.filter((x) => x.failed === 0 && x.successful === x.calls) ?? [];
  if (split.length) {
    const one = engine?.results?.one?.steps ?? [];
    const tcp = engine?.results?.tcp?.steps ?? [];
    md.push(`## Engine alone (engine.md)${when(engine?.machine.date)}`, '',
      'SIPp → engine + the minimal srf B2BUA (test/apps/minimal-b2bua.ts) → SIPp; "split" runs the engine and the app + srf in two processes so their CPU per call is read apart.', '',
      ...table(['calls/s', 'engine ms/call (split)', 'app + srf ms/call (split)', 'engine share', 'one process, in-process link ms/call', 'one process, loopback TCP ms/call'], split.map((x) => [
        x.rate, x.engineMsPerCall, n(x.appMsPerCall), `${Math.round((x.engineMsPerCall / (x.engineMsPerCall + (x.appMsPerCall ?? 0))) * 100)} %`,
        n(one.find((y) => y.rate === x.rate)?.engineMsPerCall), n(tcp.find((y) => y.rate === x.rate)?.engineMsPerCall)])));
  }
  if (fo) {
    md.push(`## Failover${when(fo.machine.date)}`, '',
      ...table(['system', 'calls failed (SIPp)', 'setups failed', 'BYEs not 200', 'last new INVITE to dead carrier after', 'extra setup delay max / p99 ms', 'used again after restore'],
        fo.runs.map((r) => {
          const f = r.facts;
          return [LABEL[r.system]!, `${r.sipp.failed} of ${r.sipp.calls}`, n(f?.setupFailed), n(f?.byeFailed),
            f ? (f.lastInviteToDeadAfterMs === undefined ? 'none' : `${n(f.lastInviteToDeadAfterMs)} ms${f.stillSendingAtRestore ? ' (never stopped)' : ''}`) : '—',
            f ? `${n(f.extraDelayMaxMs)} / ${n(f.extraDelayP99Ms)}` : '—', f ? (f.usedAgainAfterMs === undefined ? 'never (within the run)' : `${n(f.usedAgainAfterMs)} ms`) : '—'];
        })),
      '![failover timeline](failover-timeline.png)', '');
  }
  if (routing) {
    md.push(`## Routing decision${when(routing.machine.date)}`, '',
      ...table(['carriers', 'routes', 'p50 ns', 'p99 ns', 'bytes allocated / decision'], routing.results.map((r) => [r.carriers, r.routes, r.decision.p50, r.decision.p99, r.bytesPerDecision])));
  }
  md.push('Details: [e2e.md](e2e.md), [engine.md](engine.md), [failover.md](failover.md), [routing.md](routing.md), [profile.md](profile.md).', '');
  writeFileSync(path.join(dir, 'summary.md'), `${md.join('\n').replace(/\n{3,}/g, '\n\n')}\n`);
}
