/**
 * What each kind of object keeps alive in a V8 heap snapshot: the dominator tree over strong edges
 * (Cooper, Harvey & Kennedy's iterative algorithm), the retained size of every object, and
 *  - per group (constructor / closure / string…), the retained size of its outermost instances (an
 *    instance inside another of the same group is counted once, with its holder);
 *  - for groups named on the command line, an instance's retained size split by the edge it holds it by;
 *  - plain objects (`Object`) grouped by their first property names, which tells object literals apart.
 * heap-summary.ts counts self sizes; this answers "what would go if this object went" (issue 11:
 * what a transaction keeps through its 32 s wait window).
 * Usage: node --max-old-space-size=8192 --import tsx bench/lib/heap-retained.ts FILE [GROUP…]
 *   e.g. GROUP = "object InviteServerTransaction"
 */
import { layoutOf, readSnapshot } from './heap-summary';

const MiB = (b: number): string => (b / 1048576).toFixed(1).padStart(7);

export function retainedReport(file: string, groups: readonly string[] = [], top = 30): string[] {
  const s = readSnapshot(file);
  const l = layoutOf(s);
  const NF = l.nodeFields;
  const EF = l.edgeFields;
  const N = s.nodes.length / NF;
  const first = new Uint32Array(N + 1);
  for (let i = 0, e = 0; i < N; i++) {
    first[i] = e;
    e += s.nodes[i * NF + l.edgeCount]! * EF;
    first[i + 1] = e;
  }
  const strong = (e: number): boolean => {
    const t = l.edgeTypeOf(e);
    return t !== 'weak' && t !== 'shortcut';
  };
  const to = (e: number): number => s.edges[e + l.edgeTo]! / NF;
  const group = l.group;
  const self = (i: number): number => s.nodes[i * NF + l.selfSize]!;
  const edgeLabel = l.edgeLabel;

  // Post-order numbering from the root (node 0), iteratively.
  const post = new Int32Array(N).fill(-1);
  const order = new Int32Array(N);
  const next = new Uint32Array(N);
  const seen = new Uint8Array(N);
  let count = 0;
  const stack = [0];
  seen[0] = 1;
  next[0] = first[0]!;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    let pushed = false;
    while (next[v]! < first[v + 1]!) {
      const e = next[v]!;
      next[v] = e + EF;
      if (!strong(e) || seen[to(e)]) continue;
      const w = to(e);
      seen[w] = 1;
      next[w] = first[w]!;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      post[v] = count;
      order[count++] = v;
    }
  }
  // Predecessors (strong edges between reachable nodes), CSR.
  const predStart = new Uint32Array(N + 1);
  for (let v = 0; v < N; v++) if (seen[v]) for (let e = first[v]!; e < first[v + 1]!; e += EF) if (strong(e)) predStart[to(e) + 1]++;
  for (let i = 0; i < N; i++) predStart[i + 1]! += predStart[i]!;
  const preds = new Uint32Array(predStart[N]!);
  const fill = predStart.slice(0, N);
  for (let v = 0; v < N; v++) if (seen[v]) for (let e = first[v]!; e < first[v + 1]!; e += EF) if (strong(e)) preds[fill[to(e)]!++] = v;
  // Immediate dominators.
  const idom = new Int32Array(N).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let k = count - 2; k >= 0; k--) {
      const b = order[k]!;
      let d = -1;
      for (let p = predStart[b]!; p < predStart[b + 1]!; p++) {
        let q = preds[p]!;
        if (idom[q] === -1) continue;
        if (d === -1) {
          d = q;
          continue;
        }
        let r = d;
        while (q !== r) {
          while (post[q]! < post[r]!) q = idom[q]!;
          while (post[r]! < post[q]!) r = idom[r]!;
        }
        d = q;
      }
      if (d !== -1 && idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(N);
  for (let k = 0; k < count; k++) {
    const v = order[k]!;
    retained[v]! += self(v);
    if (v !== 0) retained[idom[v]!]! += retained[v]!;
  }
  const outermost = (v: number, g: string): boolean => {
    for (let d = idom[v]!; d !== 0; d = idom[d]!) if (group(d) === g) return false;
    return true;
  };

  const out = [`${file}: ${N} objects, ${MiB(retained[0]!).trim()} MiB reachable`, '', '| retained MiB | instances | bytes each | group |', '|---|---|---|---|'];
  const byGroup = new Map<string, { n: number; bytes: number }>();
  for (let k = 0; k < count; k++) {
    const v = order[k]!;
    const g = group(v);
    if (g === 'synthetic' || !outermost(v, g)) continue;
    const r = byGroup.get(g) ?? { n: 0, bytes: 0 };
    r.n++;
    r.bytes += retained[v]!;
    byGroup.set(g, r);
  }
  for (const [g, r] of [...byGroup].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) out.push(`| ${MiB(r.bytes).trim()} | ${r.n} | ${Math.round(r.bytes / r.n)} | \`${g}\` |`);

  const split = (pick: (v: number) => boolean, title: string): void => {
    const parts = new Map<string, number>();
    let n = 0;
    for (let v = 0; v < N; v++) {
      if (!seen[v] || !pick(v)) continue;
      n++;
      parts.set('(itself)', (parts.get('(itself)') ?? 0) + self(v));
      for (let e = first[v]!; e < first[v + 1]!; e += EF) {
        const w = to(e);
        if (idom[w] !== v) continue;
        const key = `${edgeLabel(e)} → ${group(w)}`;
        parts.set(key, (parts.get(key) ?? 0) + retained[w]!);
      }
    }
    if (!n) return;
    out.push('', `${title}: ${n} instances; bytes each, by what holds them:`, '');
    for (const [k, b] of [...parts].sort((a, b2) => b2[1] - a[1]).slice(0, 12)) out.push(`- ${Math.round(b / n)} B: ${k}`);
  };
  for (const g of groups) split((v) => group(v) === g, `\`${g}\``);

  // Object literals, told apart by their first property names.
  const shapes = new Map<string, { n: number; bytes: number }>();
  const shapeOf = (v: number): string => {
    const names: string[] = [];
    for (let e = first[v]!; e < first[v + 1]! && names.length < 6; e += EF) if (l.edgeTypeOf(e) === 'property') names.push(edgeLabel(e));
    return names.join(',');
  };
  for (let k = 0; k < count; k++) {
    const v = order[k]!;
    if (group(v) !== 'object Object' || !outermost(v, 'object Object')) continue;
    const key = shapeOf(v);
    const r = shapes.get(key) ?? { n: 0, bytes: 0 };
    r.n++;
    r.bytes += retained[v]!;
    shapes.set(key, r);
  }
  out.push('', '| retained MiB | object literals | bytes each | first properties |', '|---|---|---|---|');
  for (const [k, r] of [...shapes].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 10)) out.push(`| ${MiB(r.bytes).trim()} | ${r.n} | ${Math.round(r.bytes / r.n)} | {${k}} |`);
  return out;
}

if (require.main === module) {
  const [file, ...groups] = process.argv.slice(2);
  if (!file) throw new Error('usage: heap-retained.ts FILE.heapsnapshot [GROUP…]');
  console.log(retainedReport(file, groups).join('\n'));
}
