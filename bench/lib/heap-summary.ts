/**
 * A V8 heap snapshot (.heapsnapshot, as node --heapsnapshot-signal writes it) summarised: object
 * groups (constructor / closure / string / array…) by count and self size, and for the largest
 * groups who holds them (the retaining object's group and the edge name). The number sections are
 * scanned from the bytes (a snapshot of a large heap is longer than V8's longest string); run it in
 * its own process with a large heap.
 * Usage: node --max-old-space-size=8192 --import tsx bench/lib/heap-summary.ts FILE [top]
 */
import { readFileSync } from 'node:fs';

interface Meta { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] }

export interface Snapshot {
  meta: Meta;
  nodes: Uint32Array;
  edges: Uint32Array;
  strings: string[];
}

/** The numbers of a `"name":[1,2,…]` section, scanned from the bytes (a snapshot can exceed V8's longest string). */
function numbers(buf: Buffer, name: string): Uint32Array {
  const at = buf.indexOf(`"${name}":[`);
  if (at < 0) throw new Error(`heap snapshot: no "${name}" section`);
  let out = new Uint32Array(1 << 20);
  let n = 0;
  let cur = 0;
  let inNum = false;
  for (let i = at + name.length + 4; i < buf.length; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      cur = cur * 10 + (c - 48);
      inNum = true;
      continue;
    }
    if (inNum) {
      if (n === out.length) {
        const bigger = new Uint32Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[n++] = cur;
      cur = 0;
      inNum = false;
    }
    if (c === 93) break; // ]
  }
  return out.subarray(0, n);
}

export function readSnapshot(file: string): Snapshot {
  const buf = readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":[');
  const head = buf.toString('utf8', 0, nodesAt).trim().replace(/,$/, '');
  const meta = (JSON.parse(`${head}}`) as { snapshot: { meta: Meta } }).snapshot.meta;
  const stringsAt = buf.indexOf('"strings":[');
  const tail = buf.toString('utf8', stringsAt + '"strings":'.length).trim().replace(/}\s*$/, '');
  return { meta, nodes: numbers(buf, 'nodes'), edges: numbers(buf, 'edges'), strings: JSON.parse(tail) as string[] };
}

export interface HeapGroup { group: string; count: number; selfMiB: number; heldBy: string[] }
export interface HeapSummary { totalMiB: number; nodes: number; groups: HeapGroup[] }

const MiB = 1024 * 1024;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function summariseHeap(file: string, top = 25): HeapSummary {
  const s = readSnapshot(file);
  const nf = s.meta.node_fields;
  const ef = s.meta.edge_fields;
  const N = nf.length;
  const E = ef.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const nodeTypes = s.meta.node_types[0];
  const edgeTypes = s.meta.edge_types[0];
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
