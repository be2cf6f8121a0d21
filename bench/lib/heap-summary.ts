/**
 * A V8 heap snapshot (.heapsnapshot, as node --heapsnapshot-signal writes it) summarised: object
 * groups (constructor / closure / string / array…) by count and self size, and for the largest
 * groups who holds them (the retaining object's group and the edge name). Run it in its own
 * process with a large heap: the snapshot JSON is parsed whole.
 * Usage: node --max-old-space-size=8192 --import tsx bench/lib/heap-summary.ts FILE [top]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGroup { group: string; count: number; selfMiB: number; heldBy: string[] }
export interface HeapSummary { totalMiB: number; nodes: number; groups: HeapGroup[] }

const MiB = 1024 * 1024;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function summariseHeap(file: string, top = 25): HeapSummary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const N = nf.length;
  const E = ef.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const count = s.nodes.length / N;
  const groupOf = new Array<string>(count);
  const byGroup = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const type = nodeTypes[s.nodes[i * N + iType]!]!;
    const name = s.strings[s.nodes[i * N + iName]!] ?? '';
    const g = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : type;
    groupOf[i] = g;
    const size = s.nodes[i * N + iSize]!;
    total += size;
    const e = byGroup.get(g) ?? { count: 0, size: 0 };
    e.count++;
    e.size += size;
    byGroup.set(g, e);
  }
  const groups = [...byGroup.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, top);
  const watched = new Set(groups.slice(0, 12).map(([g]) => g));
  const holders = new Map<string, Map<string, number>>();
  let edge = 0;
  for (let i = 0; i < count; i++) {
    const n = s.nodes[i * N + iEdges]!;
    for (let k = 0; k < n; k++, edge++) {
      const et = edgeTypes[s.edges[edge * E + eType]!];
      if (et === 'weak' || et === 'shortcut') continue;
      const to = s.edges[edge * E + eTo]! / N;
      const tg = groupOf[to]!;
      if (!watched.has(tg)) continue;
      const raw = s.edges[edge * E + eName]!;
      const label = et === 'element' || et === 'hidden' ? `[${et}]` : (s.strings[raw] ?? '?').slice(0, 40);
      if (label === 'map' || label === '__proto__') continue; // every object's shape and prototype: no news
      const key = `${groupOf[i]}.${label}`;
      const m = holders.get(tg) ?? new Map<string, number>();
      m.set(key, (m.get(key) ?? 0) + 1);
      holders.set(tg, m);
    }
  }
  return {
    totalMiB: r1(total / MiB),
    nodes: count,
    groups: groups.map(([g, v]) => ({
      group: g, count: v.count, selfMiB: r1(v.size / MiB),
      heldBy: [...(holders.get(g) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} ×${n}`),
    })),
  };
}

export function heapTable(h: HeapSummary): string[] {
  return [
    `Heap snapshot: ${h.totalMiB} MiB in ${h.nodes} objects. Largest groups by self size:`,
    '',
    '| group | count | self MiB | held by (retainer group.edge ×count) |',
    '|---|---|---|---|',
    ...h.groups.map((g) => `| \`${g.group.replace(/\|/g, '\\|')}\` | ${g.count} | ${g.selfMiB} | ${g.heldBy.join('; ').replace(/\|/g, '\\|')} |`),
  ];
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: heap-summary.ts FILE [top]');
  console.log(heapTable(summariseHeap(file, Number(process.argv[3] ?? 25))).join('\n'));
}
