/** The outage lab's report: markdown for people, JSON for machines (bench/results/outage-lab.*). */
import type { LabRun } from './run';

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const ms = (x: number | undefined): string => (x === undefined ? '—' : `${(x / 1000).toFixed(1)} s`);

export function labJson(runs: readonly LabRun[], machine: Record<string, unknown>): unknown {
  return {
    machine,
    runs: runs.map((r) => ({ upstream: r.upstream, cps: r.cps, holdMs: r.holdMs, calls: r.calls, phases: r.phases, upstreamA: r.upstreamA.map(([t, c]) => ({ atS: (t - r.phaseTimes[0]!.startMs) / 1000, to: c })) })),
  };
}

export function labMarkdown(runs: readonly LabRun[], machine: string, command: string): string {
  const out = [
    '# Outage lab — site A\'s uplink loses 5 %, 30 %, 100 % of packets, then recovers',
    '',
    `Command: \`${command}\`. Machine: ${machine}.`,
    'Kamailio dispatcher (the IVR platform\'s outbound proxy, OPTIONS every second) in front of two trunkwise edges; SIPp alarm calls through it; carrier simulator. See docs/outage-lab.md.',
    '',
  ];
  for (const r of runs) {
    out.push(`## Upstream health ${r.upstream ? 'on' : 'off (baseline: the edge always answers 200)'}`, '',
      `${r.calls.placed} calls at ${r.cps}/s, ${r.holdMs / 1000} s hold: **${r.calls.failed} failed**, ${r.calls.succeeded} succeeded.`, '',
      '| phase | s | calls lost | to site A / B | A\'s share at the end | new calls left A after | back to A after | setup p50 / p99 | extra setup p99 | dispatcher marked A down / up |',
      '|---|---|---|---|---|---|---|---|---|---|');
    for (const p of r.phases) {
      out.push(`| ${p.name} | ${p.durationS} | ${p.callsLost} | ${p.callsToA} / ${p.callsToB} | ${pct(p.tailShareA)} | ${ms(p.leftAAfterMs)} | ${ms(p.backToAAfterMs)} | ${p.setupP50Ms} / ${p.setupP99Ms} ms | ${p.extraSetupP99Ms} ms | ${p.dispatcherDowns} / ${p.dispatcherUps} |`);
    }
    const t0 = r.phaseTimes[0]?.startMs ?? 0;
    out.push('', `Site A's OPTIONS answer: ${r.upstreamA.length === 0 ? 'always 200' : r.upstreamA.map(([t, c]) => `${((t - t0) / 1000).toFixed(1)} s → ${c === 'ok' ? '200' : `503 (${c})`}`).join(', ')}.`, '');
  }
  return `${out.join('\n')}\n`;
}
