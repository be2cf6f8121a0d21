/** Distribution summaries for latency samples. */
export interface Dist {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; values are rounded to 3 decimals. `values` need not be sorted. */
export function dist(values: readonly number[]): Dist | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number): number => v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))]!;
  return { n: v.length, p50: r3(q(0.5)), p99: r3(q(0.99)), p999: r3(q(0.999)), max: r3(v[v.length - 1]!), mean: r3(v.reduce((a, b) => a + b, 0) / v.length) };
}

export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r3 = (x: number): number => Math.round(x * 1000) / 1000;
