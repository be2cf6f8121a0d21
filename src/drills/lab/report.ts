/** The outage lab's report: markdown for people, JSON for machines (bench/results/outage-lab.*). */
import { flapping } from './analysis';
import type { LabRun } from './run';

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const ms = (x: number | undefined): string => (x === undefined ? '—' : `${(x / 1000).toFixed(1)} s`);

export interface LabSecond {
  /** Seconds since the first phase began. */
  readonly s: number;
  readonly toA: number;
  readonly toB: number;
  readonly failed: number;
  /** Slowest setup measured in this second (SIPp), ms; 0 when none. */
  readonly setupMaxMs: number;
}

/** Per second of the run: new calls to each site, calls failed, slowest setup (the PNG timeline). */
export function labTimeline(r: LabRun): LabSecond[] {
  const t0 = r.phaseTimes[0]?.startMs ?? 0;
  const end = r.phaseTimes.at(-1)?.endMs ?? t0;
  const n = Math.max(0, Math.ceil((end - t0) / 1000));
  const out = Array.from({ length: n }, (_, s) => ({ s, toA: 0, toB: 0, failed: 0, setupMaxMs: 0 }));
  const at = (t: number): { toA: number; toB: number; failed: number; setupMaxMs: number } | undefined => out[Math.floor((t - t0) / 1000)];
  for (const t of r.observations.siteCalls.a) { const b = at(t); if (b) b.toA++; }
  for (const t of r.observations.siteCalls.b) { const b = at(t); if (b) b.toB++; }
  for (const [t, f] of r.observations.failures) { const b = at(t); if (b) b.failed += f; }
  for (const [t, ms] of r.observations.setups) { const b = at(t); if (b) b.setupMaxMs = Math.max(b.setupMaxMs, ms); }
  return out;
}

export function labJson(runs: readonly LabRun[], machine: Record<string, unknown>): unknown {
  return {
    machine,
    runs: runs.map((r) => ({ upstream: r.upstream, cps: r.cps, holdMs: r.holdMs, calls: r.calls, phases: r.phases, upstreamA: r.upstreamA.map(([t, c]) => ({ atS: (t - r.phaseTimes[0]!.startMs) / 1000, to: c })),
      phaseStartsS: r.phaseTimes.map((p) => ({ name: p.name, atS: (p.startMs - r.phaseTimes[0]!.startMs) / 1000 })), timeline: labTimeline(r) })),
  };
}

export function labMarkdown(runs: readonly LabRun[], machine: string, command: string): string {
  const losses = [...new Set((runs[0]?.phases ?? []).filter((p) => p.loss > 0).map((p) => `${Math.round(p.loss * 100)} %`))].join(', ');
  const out = [
    `# Outage lab — site A's uplink loses ${losses} of packets, then recovers`,
    '',
    `Command: \`${command}\`. Machine: ${machine}.`,
    'Kamailio dispatcher (the IVR platform\'s outbound proxy, OPTIONS every second) in front of two trunkwise edges; SIPp alarm calls through it; carrier simulator. See docs/outage-lab.md.',
    '',
  ];
  for (const r of runs) {
    out.push(`## Upstream health and peers ${r.upstream ? 'on' : 'off (baseline: the edge always answers 200, no peers)'}`, '',
      `${r.calls.placed} calls at ${r.cps}/s, ${r.holdMs / 1000} s hold: **${r.calls.failed} alarm calls lost** (not answered), ${r.calls.succeeded} completed; ${r.calls.byeUnanswered} BYEs the proxy answered 408 (call answered and held, no 200 back from the edge${r.calls.byeUnanswered > 0 ? `; ${r.calls.byeReachedEdge} of them reached the edge, which ended the call` : ''}).`, '',
      '| phase | s | calls lost | to site A / B | A\'s share at the end | A said 503 after | dispatcher marked A down after | new calls left A after | back to A after | setup p50 / p99 | extra setup p99 | A\'s answer → 503 / → 200 | dispatcher marked A down / up | INVITE timeouts marking A inactive |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const p of r.phases) {
      out.push(`| ${p.name} | ${p.durationS} | ${p.callsLost} | ${p.callsToA} / ${p.callsToB} | ${pct(p.tailShareA)} | ${ms(p.unavailableAfterMs)} | ${ms(p.dispatcherDownAfterMs)} | ${ms(p.leftAAfterMs)} | ${ms(p.backToAAfterMs)} | ${p.setupP50Ms} / ${p.setupP99Ms} ms | ${p.extraSetupP99Ms} ms | ${p.upstreamTo503} / ${p.upstreamTo200} | ${p.dispatcherDowns} / ${p.dispatcherUps} | ${p.dispatcherTimeoutMarks} |`);
    }
    const flaps = flapping(r.phases);
    out.push('', flaps.length === 0 ? 'Flapping: none (at most one change each way per phase, of A\'s answer and of the dispatcher\'s view).' : `Flapping: ${flaps.join(' · ')}.`);
    const t0 = r.phaseTimes[0]?.startMs ?? 0;
    out.push('', `Site A's OPTIONS answer: ${r.upstreamA.length === 0 ? 'always 200' : r.upstreamA.map(([t, c]) => `${((t - t0) / 1000).toFixed(1)} s → ${c === 'ok' ? '200' : `503 (${c})`}`).join(', ')}.`, '');
  }
  return `${out.join('\n')}\n`;
}
