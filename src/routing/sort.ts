/**
 * Sorting arrays of indices with a comparator that takes an explicit context, so hot paths need no
 * per-call closure (each closure is an allocation, and more under tsx's keep-names transform).
 * Stable: insertion sort for short arrays, merge sort above.
 */
export type IndexComparator<C> = (ctx: C, a: number, b: number) => number;

export function sortIndices<C>(idx: number[], cmp: IndexComparator<C>, ctx: C): void {
  const n = idx.length;
  if (n <= 16) {
    for (let i = 1; i < n; i++) {
      const x = idx[i]!;
      let j = i - 1;
      while (j >= 0 && cmp(ctx, idx[j]!, x) > 0) {
        idx[j + 1] = idx[j]!;
        j--;
      }
      idx[j + 1] = x;
    }
    return;
  }
  const buf = new Array<number>(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) buf[k++] = cmp(ctx, idx[i]!, idx[j]!) <= 0 ? idx[i++]! : idx[j++]!;
      while (i < mid) buf[k++] = idx[i++]!;
      while (j < hi) buf[k++] = idx[j++]!;
    }
    for (let k = 0; k < n; k++) idx[k] = buf[k]!;
  }
}
