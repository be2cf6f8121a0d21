/**
 * A Prometheus counter fed from totals kept elsewhere (e.g. the engine's transport counters, which
 * live in shared memory with the UDP ingress thread): each sync adds what each total grew by since the
 * last one. A total that went down (a restarted source) starts over from its new value.
 */
import type { Counter } from 'prom-client';

export function counterSync<L extends string>(counter: Counter<L>): (totals: ReadonlyArray<[Partial<Record<L, string>>, number]>) => void {
  const last = new Map<string, number>();
  return (totals) => {
    for (const [labels, total] of totals) {
      const k = JSON.stringify(labels);
      const before = last.get(k) ?? 0;
      const delta = total >= before ? total - before : total;
      last.set(k, total);
      if (delta > 0) counter.inc(labels, delta);
    }
  };
}
