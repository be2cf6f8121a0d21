/**
 * The local-fault guard: when most carriers look sick at the same moment, the likelier culprit is
 * the edge itself (its uplink, its datacenter). Then no carrier is taken down for its score — they
 * keep being used by relative score — and a distinct alarm says the edge is suspect. Pure.
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

export function judgeLocalFault(carriers: readonly CarrierLook[], fraction: number): LocalFaultVerdict {
  const counted = carriers.filter((c) => c.counted);
  const sick = counted.filter((c) => c.sick).map((c) => c.id);
  // One or two carriers cannot tell "they are sick" from "we are sick".
  const fault = counted.length >= 3 && sick.length >= Math.ceil(fraction * counted.length);
  return { fault, sick, counted: counted.length };
}
