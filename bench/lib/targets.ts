/** The four performance targets of issue 11 as rows for summary.md: trunkwise / Kamailio at fixed offered rates. */
import type { StepResult, SystemRun } from '../e2e.bench';
import { n, ratio } from './report';

interface Target {
  name: string;
  /** The value compared; undefined when the step is missing. */
  value: (r: SystemRun) => number | undefined;
  unit: string;
  limit: number;
  /** 'max': ratio must be ≤ limit; 'min': ≥ limit. */
  kind: 'max' | 'min';
  /** The offered rate compared at; a comparison there counts only if Kamailio had 0 failures at it. */
  cps?: number;
}

const at = (r: SystemRun, cps: number): StepResult | undefined => r.steps.find((s) => s.offeredCps === cps);

export const TARGETS: readonly Target[] = [
  { name: 'CPU per call at 400 calls/s', value: (r) => at(r, 400)?.cpu.sutCpuMsPerCall, unit: ' ms', limit: 1.5, kind: 'max', cps: 400 },
  { name: 'setup p99 at 200 calls/s', value: (r) => at(r, 200)?.capture.latencyMs?.p99, unit: ' ms', limit: 3, kind: 'max', cps: 200 },
  { name: 'setup p99 at 400 calls/s', value: (r) => at(r, 400)?.capture.latencyMs?.p99, unit: ' ms', limit: 3, kind: 'max', cps: 400 },
  { name: 'PSS at 600 calls/s', value: (r) => at(r, 600)?.sutPssMiB, unit: ' MiB', limit: 2.5, kind: 'max', cps: 600 },
  { name: 'max sustainable (0 failed, p99 ≤ 50 ms)', value: (r) => r.maxSustainableCps, unit: ' calls/s', limit: 0.8, kind: 'min' },
];

export function targetRows(tw: SystemRun, ka: SystemRun): Array<Array<string | number>> {
  return TARGETS.map((t) => {
    const a = t.value(tw);
    const b = t.value(ka);
    const q = a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
    const kaStep = t.cps === undefined ? undefined : at(ka, t.cps);
    const comparable = t.cps === undefined || (kaStep !== undefined && kaStep.sustained);
    const met = q === undefined ? 'not measured'
      : !comparable ? `not comparable: Kamailio failed calls at ${t.cps} calls/s in this run`
        : (t.kind === 'max' ? q <= t.limit : q >= t.limit) ? '**yes**' : 'no';
    return [t.name, n(a, t.unit), n(b, t.unit), ratio(a, b), `${t.kind === 'max' ? '≤' : '≥'} ${t.limit}×`, met];
  });
}
