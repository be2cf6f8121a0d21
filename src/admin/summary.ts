/**
 * One line per carrier — what a NOC reads first (`GET /carriers?view=summary`, `npm run status`):
 * state and since when, score, the signal that hurts the score most (or why it is down), calls up,
 * and the answer-seizure ratio over the last 5 minutes; plus calls failed back to the IVR.
 */
import type { CarrierReading, EdgeReading, WindowStats } from '../history/types';

export const SUMMARY_WINDOW_MS = 5 * 60_000;

export interface SummaryInput {
  reading: CarrierReading;
  window: WindowStats;
  /** Health's state since (ISO), the last state-change reason, the signals. */
  since: string | null;
  reason: string | null;
  signals: ReadonlyArray<{ name: string; value: number; unit: string; factor: number }>;
}

export interface CarrierSummary {
  id: string;
  state: string;
  since: string | null;
  score: number;
  /** The scored signal with the smallest factor below 1, or null when nothing pulls the score down. */
  hurts: { signal: string; value: number; unit: string; factor: number } | null;
  /** Why the carrier is in its state (the last state change's reason) when it is not active. */
  reason: string | null;
  callsUp: number;
  /** Answer-seizure ratio: answered / seizures (attempts that ended) in the window. */
  asr: { windowS: number; ratio: number | null; answered: number; seizures: number };
  failedAttempts: number;
  retriedElsewhere: number;
}

export interface Summary {
  at: string;
  localFault: boolean;
  inService: number;
  callsUp: number;
  /** Calls that failed back to the IVR over the window (every carrier failed, or none could take it). */
  callsFailedToIvr: { windowS: number; failed: number; answered: number };
  carriers: CarrierSummary[];
}

export function carrierSummary(i: SummaryInput): CarrierSummary {
  const worst = [...i.signals].filter((s) => s.factor < 1).sort((a, b) => a.factor - b.factor)[0];
  return {
    id: i.reading.id, state: i.reading.state, since: i.since, score: i.reading.score,
    hurts: worst ? { signal: worst.name, value: worst.value, unit: worst.unit, factor: worst.factor } : null,
    reason: i.reading.state === 'active' ? null : i.reason,
    callsUp: i.reading.callsUp,
    asr: { windowS: i.window.windowS, ratio: i.window.asr, answered: i.window.answered, seizures: i.window.answered + i.window.failed },
    failedAttempts: i.window.failed, retriedElsewhere: i.window.retried,
  };
}

export function summary(at: number, localFault: boolean, carriers: CarrierSummary[], edge: EdgeReading & { windowS: number }): Summary {
  return {
    at: new Date(at).toISOString(), localFault,
    inService: carriers.filter((c) => c.state === 'active' || c.state === 'degraded').length,
    callsUp: carriers.reduce((n, c) => n + c.callsUp, 0),
    callsFailedToIvr: { windowS: edge.windowS, failed: edge.failed, answered: edge.answered },
    carriers,
  };
}

/** JSON with one carrier per line: readable with `curl`, still one JSON document. */
export function summaryJson(s: Summary): string {
  const { carriers, ...head } = s;
  const top = JSON.stringify(head).slice(0, -1);
  return `${top},"carriers":[\n${carriers.map((c) => `  ${JSON.stringify(c)}`).join(',\n')}\n]}\n`;
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

function ago(since: string | null, at: number): string {
  if (!since) return '';
  const s = Math.max(0, Math.round((at - Date.parse(since)) / 1000));
  const d = s >= 86_400 ? `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h` : s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
  return `${since.replace(/\.\d+Z$/, 'Z')} (${d})`;
}

function hurtsText(c: CarrierSummary): string {
  if (c.hurts) {
    const v = c.hurts.unit === 'ratio' ? pct(c.hurts.value) : `${Math.round(c.hurts.value)} ms`;
    return `${c.hurts.signal} ${v} ×${c.hurts.factor.toFixed(2)}`;
  }
  return '—';
}

/** The terminal table (`npm run status`, `?view=summary&format=text`). */
export function summaryText(s: Summary, source: string): string {
  const at = Date.parse(s.at);
  const head = `trunkwise ${source} at ${s.at.replace(/\.\d+Z$/, 'Z')} — ${s.inService} of ${s.carriers.length} carriers in service, ${s.callsUp} calls up; `
    + `calls failed to the IVR in the last ${Math.round(s.callsFailedToIvr.windowS / 60) || '<1'} min: ${s.callsFailedToIvr.failed} (answered ${s.callsFailedToIvr.answered})`;
  const w = s.carriers[0]?.asr.windowS ?? 0;
  const asrHead = w >= 290 ? 'ASR 5 MIN' : `ASR ${w} S`;
  const rows = [['CARRIER', 'STATE', 'SINCE', 'SCORE', 'HURTS MOST', 'UP', asrHead, 'FAILED ATTEMPTS (RETRIED)']].concat(s.carriers.map((c) => [
    c.id, c.state.toUpperCase(), ago(c.since, at), c.score.toFixed(2), hurtsText(c), String(c.callsUp),
    c.asr.seizures > 0 ? `${pct(c.asr.ratio)} (${c.asr.answered}/${c.asr.seizures})` : '— (no calls)', `${c.failedAttempts} (${c.retriedElsewhere})`,
  ]));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd());
  const why = s.carriers.filter((c) => c.reason).map((c) => `  ${c.id}: ${c.reason}`);
  return [head, ...(s.localFault ? ['LOCAL FAULT suspected: most carriers degraded at once — check this edge\'s uplink / datacenter'] : []), ...lines, ...(why.length ? ['why:', ...why] : [])].join('\n') + '\n';
}
