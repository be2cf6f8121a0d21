/** bench/results/fuzz.md + .json for one fuzz run: method, machine, results, verdict against issue 9's targets. */
import { machineMarkdown, type MachineInfo } from '../bench/lib/machine';
import { n, table, writeResult } from '../bench/lib/report';
import type { MemorySample } from './edge';
import type { FuzzResult } from './run';

export interface Verdict {
  ok: boolean;
  lines: string[];
}

/** Issue 9's targets for a fuzz run. */
export function verdict(r: FuzzResult, legitTargetPct = 99.9): Verdict {
  const checks: Array<[boolean, string]> = [
    [r.edge.exits === 0, `process exits: ${r.edge.exits} (target 0)`],
    [r.log.unhandled === 0 && r.log.nonJson === 0, `unhandled errors in the log: ${r.log.unhandled} + ${r.log.nonJson} non-JSON error lines (target 0)`],
    [r.serverErrors500 === 0, `responses of 500 to fuzzed input: ${r.serverErrors500}, of which ${r.nonSdpOffer500} for an INVITE body that is not SDP (issue 9 item fixed on branch call) (target 0; besides ${r.rfcMandated500} the RFC requires: out-of-order in-dialog CSeq §12.2.2, overlapping re-INVITE §14.2; and ${r.relayedCarrier5xx ?? 0} relaying a class-5 final the fuzz carrier itself sent, a mutation of its response, as its class's 500 per RFC 3261 §8.1.3.2)`],
    [r.edge.rssAfterMiB <= 1.2 * r.edge.rssBeforeMiB, `RSS after ${r.edge.rssAfterMiB} MiB vs before ${r.edge.rssBeforeMiB} MiB (after a warm-up of 5 % of the messages; target ≤ 1.2×; peak ${r.edge.rssPeakMiB} MiB)`],
    [true, `memory after a forced full GC (fuzz/edge-memory.cjs): ${memoryLine(r)}`],
    [true, `RSS while fuzzing: ${plateauLine(r)}`],
    [r.edge.countsZero, `transactions, dialogs, calls, media sessions back to 0: ${r.edge.countsZero ? `yes, ${(r.edge.settledMs / 1000).toFixed(1)} s after the end` : `no: ${JSON.stringify(r.edge.after?.engine ?? {})}`}`],
    [r.legit.successPct >= legitTargetPct, `legitimate calls: ${r.legit.successful}/${r.legit.calls} = ${r.legit.successPct.toFixed(2)} % (target ≥ ${legitTargetPct} %)`],
    [r.sent.total >= r.options.messages, `messages: ${r.sent.total.toLocaleString('en')} of ${r.options.messages.toLocaleString('en')} asked`],
  ];
  return { ok: checks.every(([ok]) => ok), lines: checks.map(([ok, s]) => `${ok ? '✅' : '❌'} ${s}`) };
}

const mib = (b: number | undefined): string => (b === undefined ? '?' : (b / 1048576).toFixed(1));

/** heapUsed (what the edge's objects hold) and RSS after a full GC, at the start, the baseline and the end. */
export function memoryLine(r: FuzzResult): string {
  const { start, before, after } = r.edge.memory;
  if (!after) return 'not measured';
  const workers = (m: MemorySample | undefined): number | undefined => m?.workers?.reduce((s, w) => s + w.heapUsed, 0);
  const where = (m: MemorySample | undefined): string => {
    const k = m?.smapsKiB;
    return k ? `malloc arenas ${mib(k.arenaLike * 1024)} (${k.arenas}), brk ${mib(k.brkHeap * 1024)}, other anonymous ${mib(k.otherAnon * 1024)}, files ${mib(k.file * 1024)}` : '?';
  };
  return `main heapUsed ${mib(start?.heapUsed)} (start) / ${mib(before?.heapUsed)} (baseline) / ${mib(after.heapUsed)} MiB (after); `
    + `worker heaps ${mib(workers(start))} / ${mib(workers(before))} / ${mib(workers(after))} MiB; `
    + `RSS ${mib(start?.rss)} / ${mib(before?.rss)} / ${mib(after.rss)} MiB — of which, baseline: ${where(before)}; after: ${where(after)}`;
}

/** RSS over the run by fifths: whether it keeps growing (a leak) or levels off. */
export function plateauLine(r: FuzzResult): string {
  const xs = r.edge.rssSeries ?? [];
  if (xs.length < 5) return 'too few samples';
  const fifths = [0, 1, 2, 3, 4].map((k) => xs.slice(Math.floor((k * xs.length) / 5), Math.floor(((k + 1) * xs.length) / 5)).map(([, v]) => v));
  return fifths.map((f, k) => `${k * 20}–${(k + 1) * 20} %: ${Math.min(...f)}–${Math.max(...f)} MiB`).join('; ');
}

export function writeReport(out: string, m: MachineInfo, r: FuzzResult, workDir: string): string {
  const v = verdict(r);
  const md = [
    '# Network mutation fuzzer (issue 9)', '', 'Written by `npm run fuzz` (fuzz/main.ts) — do not edit by hand.', '',
    '## Method', '',
    `- trunkwise (src/main.ts, embedded engine) on 127.0.0.1, allowlist 127.0.0.0/28; five SIPp carriers take the legitimate calls (route +4930…), the fuzzer's own carrier (one port, UDP and TCP) takes every other route.`,
    `- SIPp places legitimate calls (bench/scenarios/uac-bench-call.xml, 500 ms hold) at ${r.options.legitRate}/s from 127.0.0.1 throughout.`,
    `- The fuzzer (seed ${r.options.seed}) sends ${r.options.rate} messages/s from 6 UDP sources and 4 TCP connections on 127.0.0.2–11: real requests (INVITE, OPTIONS, BYE, CANCEL, ACK, REGISTER, … and in-dialog requests for dialogs it holds on either side) and stray responses, 85 % mutated by 1–3 structural operators (header drops/dups, numeric edge values, Via port/rport/branch, huge values, wrong Content-Length, URI and start-line damage, SDP damage, CRLF games) and/or a byte-level one (truncation, bit flips, binary junk, NUL, invalid UTF-8).`,
    '- As a carrier it answers the edge\'s INVITEs, OPTIONS probes and BYEs with 0–2 mutated responses before a proper final; as a caller it ACKs every final and hangs up the dialogs that formed after ≤ 3 s.',
    `- Bounded: ≤ ${r.options.messages.toLocaleString('en')} messages and ≤ ${r.options.seconds} s, then up to ${r.options.settleSeconds} s for transactions/dialogs to end. An exit restarts the edge and is recorded with the last 400 messages sent.`,
    '- A 500 counts as input-caused: the fuzz carrier never answers 500, so every 500 the fuzzer receives was generated by the edge.',
    '', '## Machine', '', machineMarkdown(m),
    '## Result', '', ...v.lines.map((l) => `- ${l}`), '',
    ...table(['', 'value'], [
      ['messages sent (mutated)', `${n(r.sent.total)} (${n(r.sent.mutated)})`], ['wall time', `${r.wallSeconds.toFixed(1)} s`], ['rate', `${n(Math.round(r.sent.total / Math.max(1, r.wallSeconds)))}/s`],
      ['over UDP / TCP (incl. replies)', `${n(r.sent.udp)} / ${n(r.sent.tcp)}`], ['carrier responses (mutated)', `${n(r.sent.carrierResponses)} (${n(r.sent.carrierMutated)})`],
      ['dialogs formed', n(r.dialogsFormed)], ['TCP connects / closed by the edge', `${n(r.tcp.connects)} / ${n(r.tcp.closedByEdge)}`],
      ['edge exits', n(r.edge.exits)], ['500s', n(r.serverErrors500)], ['RSS before / peak / after', `${r.edge.rssBeforeMiB} / ${r.edge.rssPeakMiB} / ${r.edge.rssAfterMiB} MiB`],
    ]),
    '### Responses the fuzzer received, by status', '', ...table(['status', 'count'], Object.entries(r.statuses).sort().map(([k, c]) => [k, n(c)])),
    '### Mutation operators applied', '', ...table(['operator', 'count'], Object.entries(r.ops).sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, n(c)])),
    '### Error-level log lines, by message', '', ...(Object.keys(r.log.errors).length ? table(['message', 'count'], Object.entries(r.log.errors).map(([k, c]) => [k, n(c)])) : ['none', '']),
    ...(r.findings.length ? ['### Findings', '', ...r.findings.map((f) => `- ${f.kind}: ${f.detail}`), ''] : []),
    `Work directory of this run (log, findings): ${workDir}`,
  ];
  writeResult(out, 'fuzz', md, { machine: m, ...r, verdict: v });
  return md.join('\n');
}
