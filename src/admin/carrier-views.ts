/**
 * The carrier views of the admin API: the full list (`GET /carriers`), the one-line summary
 * (`?view=summary`) and the time series (`/carriers/:id/history`, `/history`). Each carrier says
 * its effective state (the operator's drain/disable win), since when and why.
 */
import { effectiveState } from '../history/source';
import { KEEP_MS } from '../history/recorder';
import type { AdminDeps, Reply } from './server';
import type { OperatorLog } from './events';
import { carrierSummary, summary, summaryJson, summaryText, SUMMARY_WINDOW_MS } from './summary';

/** The signals in the order the score multiplies them (src/health/signals); unknown ones follow. */
const SIGNAL_ORDER = ['probeLoss', 'probeLate', 'rtt', 'callFailure', 'callLate', 'pdd', 'mediaLoss'];

interface HealthView {
  state: string;
  since: string;
  score: number;
  signals: Array<{ name: string; value: number; unit: string; factor: number; samples: number }>;
  unscored: Array<{ name: string; samples: number; note: string }>;
}

function healthView(deps: AdminDeps, id: string, now: number): HealthView | undefined {
  return deps.carrierHealth.view(id, now) as HealthView | undefined;
}

/** State, since and why — from the operator's last action when they hold it, else from health. */
function stateOf(deps: AdminDeps, operator: OperatorLog, id: string, enabled: boolean, h: HealthView | undefined): { state: string; since: string | null; reason: string | null } {
  const manual = deps.carriers.get(id)?.manual ?? 'in-service';
  const state = effectiveState(enabled, manual, h?.state);
  if (state === 'drained' || state === 'disabled') {
    const op = operator.last(id);
    if (!enabled) return { state, since: null, reason: 'enabled: false in the carriers file' };
    return { state, since: op ? new Date(op.at).toISOString() : null, reason: op?.reason ?? null };
  }
  const last = deps.carrierHealth.events(id).filter((e) => e.kind === 'state' && e.carrier === id).pop();
  return { state, since: h?.since ?? null, reason: last && last.kind === 'state' ? last.reason : null };
}

/** Every signal, scored or not ("not measured yet"), in a fixed order: cards keep their shape. */
function allSignals(h: HealthView | undefined): Array<Record<string, unknown>> {
  if (!h) return [];
  const list: Array<Record<string, unknown> & { name: string }> = [
    ...h.signals.map((s) => ({ ...s, scored: true })),
    ...h.unscored.map((u) => ({ ...u, scored: false })),
  ];
  const rank = (n: string): number => (SIGNAL_ORDER.includes(n) ? SIGNAL_ORDER.indexOf(n) : SIGNAL_ORDER.length);
  return list.sort((a, b) => rank(a.name) - rank(b.name));
}

export function carrierList(deps: AdminDeps, operator: OperatorLog): { id: string; [k: string]: unknown }[] {
  const now = Date.now();
  return deps.config.config.carriers.map((c) => {
    const rt = deps.carriers.get(c.id);
    const h = healthView(deps, c.id, now);
    return {
      id: c.id, ...stateOf(deps, operator, c.id, c.enabled, h), uri: c.uri, weight: c.weight, maxConcurrent: c.maxConcurrent ?? null, maxCps: c.maxCps ?? null,
      manual: rt?.manual ?? 'in-service', enabled: c.enabled, health: deps.carrierHealth.view(c.id, now) ?? null, signals: allSignals(h),
      activeCalls: rt?.activeCalls ?? 0, counters: rt?.counters ?? null,
      hasCredentials: deps.config.config.credentials.has(c.id),
      // Another site's edge (carriers.yaml peers:), a last resort: probed and scored like a carrier.
      peer: c.peer === true,
    };
  });
}

export async function summaryReply(deps: AdminDeps, operator: OperatorLog, text: boolean, host: string): Promise<Reply> {
  const now = Date.now();
  const live = await deps.live.read(now);
  const enabled = new Map(deps.config.config.carriers.map((c) => [c.id, c.enabled]));
  const rows = live.carriers.map((reading) => {
    const h = healthView(deps, reading.id, now);
    const s = stateOf(deps, operator, reading.id, enabled.get(reading.id) ?? true, h);
    return carrierSummary({ reading, window: deps.history.carrierWindow(reading, now, SUMMARY_WINDOW_MS), since: s.since, reason: s.reason, signals: h?.signals ?? [] });
  });
  const s = summary(now, deps.carrierHealth.localFaultSuspected(), rows, deps.history.edgeWindow(live.edge, now, SUMMARY_WINDOW_MS));
  return text ? { status: 200, body: summaryText(s, host), type: 'text/plain; charset=utf-8' } : { status: 200, body: summaryJson(s), type: 'application/json' };
}

export function historyReply(deps: AdminDeps, id: string | undefined, minutesParam: string | null): Reply {
  const minutes = minutesParam === null ? KEEP_MS / 60_000 : Number(minutesParam);
  if (!(minutes > 0 && minutes <= KEEP_MS / 60_000)) return { status: 400, body: { error: `minutes must be 1–${KEEP_MS / 60_000}` } };
  const since = Date.now() - minutes * 60_000;
  const head = { stepMs: deps.history.stepMs, minutes, now: new Date().toISOString() };
  if (id !== undefined) {
    const points = deps.history.carrierPoints(id, since);
    return points ? { status: 200, body: JSON.stringify({ id, ...head, points }) } : { status: 404, body: { error: `no carrier "${id}"` } };
  }
  const carriers = Object.fromEntries(deps.history.ids().map((c) => [c, deps.history.carrierPoints(c, since) ?? []]));
  // Compact: an hour is 720 points per carrier.
  return { status: 200, body: JSON.stringify({ ...head, carriers, edge: deps.history.edgePoints(since) }) };
}
