/**
 * Quantiles from cumulative histogram buckets, the way Prometheus' histogram_quantile does it: find
 * the bucket the rank falls in and interpolate linearly inside it (the first bucket starts at 0; a
 * rank in the +Inf bucket answers the highest finite bound). So the dashboard and Grafana agree.
 */
import type { CumulativeHistogram } from './types';

/** counts(b) − counts(a), bucket by bucket (a = the older reading; buckets must match). */
export function histogramDelta(b: CumulativeHistogram, a: CumulativeHistogram | undefined): CumulativeHistogram {
  if (!a || a.le.length !== b.le.length) return b;
  return { le: b.le, counts: b.counts.map((c, i) => Math.max(0, c - (a.counts[i] ?? 0))) };
}

/** The q-quantile (0..1) in the histogram's unit, or null when it holds no observations. */
export function histogramQuantile(q: number, h: CumulativeHistogram): number | null {
  const total = h.counts[h.counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < h.le.length; i++) {
    const c = h.counts[i]!;
    if (c < rank) continue;
    const upper = h.le[i]!;
    const lower = i === 0 ? 0 : h.le[i - 1]!;
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : h.counts[i - 1]!;
    const inBucket = c - below;
    return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return h.le.filter(Number.isFinite).pop() ?? null;
}
