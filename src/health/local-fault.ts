/**
 * The local-fault guard: when most carriers look sick at the same moment, the likelier culprit is
 * the edge itself (its uplink, its datacenter). Then no carrier is taken down for its score — they
 * keep being used by relative score — and a distinct alarm says the edge is suspect. The alarm is
 * also raised, for EDGE_SUSPECT_HOLD_MS, when a carrier's slowness was found to be the edge's own
 * (src/health/blame.ts: the edge stalled, or every carrier slow at once). Pure.
 */
export interface CarrierLook {
  readonly id: string;
  /** In service as far as the operator is concerned (enabled, not drained). */
  readonly counted: boolean;
  readonly sick: boolean;
}

export interface LocalFaultVerdict {
  readonly fault: boolean;
  readonly sick: readonly string[];
  readonly counted: number;
}

/** The latest carrier observation not charged because the edge was to blame, and the carriers spared since the alarm began. */
export interface EdgeSuspicion {
  readonly at: number;
  readonly carriers: readonly string[];
  readonly why: string;
}

/** How long the alarm stays up after the last observation the edge took the blame for. */
export const EDGE_SUSPECT_HOLD_MS = 5000;

export function judgeLocalFault(carriers: readonly CarrierLook[], fraction: number): LocalFaultVerdict {
  const counted = carriers.filter((c) => c.counted);
  const sick = counted.filter((c) => c.sick).map((c) => c.id);
  // One or two carriers cannot tell "they are sick" from "we are sick".
  const fault = counted.length >= 3 && sick.length >= Math.ceil(fraction * counted.length);
  return { fault, sick, counted: counted.length };
}

/** Why the alarm is raised (or, with neither cause, why it cleared). */
export function localFaultReason(score: LocalFaultVerdict, edge: EdgeSuspicion | undefined, fraction: number): string {
  const byScore = `${score.sick.length} of ${score.counted} carriers degraded or worse (threshold ${fraction})`;
  if (score.fault || !edge) return byScore;
  return `the edge itself is slow: ${edge.why}`;
}
