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

/** Where a snapshot's flat node and edge arrays keep each field, and how its objects and edges are named. */
export interface SnapshotLayout {
  /** Numbers per node / per edge in `nodes` / `edges`. */
  nodeFields: number;
  edgeFields: number;
  /** Offsets of the fields within a node / an edge. */
  type: number;
  name: number;
  selfSize: number;
  edgeCount: number;
  edgeType: number;
  edgeName: number;
  edgeTo: number;
  /** An object's group: `object Name`, `closure Name`, `native Name`, or its type (`string`, `array`, `code`…). */
  group(node: number): string;
  /** An edge's type name (`property`, `element`, `weak`…); `e` is its offset in `edges`. */
  edgeTypeOf(e: number): string;
  /** How an edge is shown: its property name, or `[element]` / `[hidden]`. */
  edgeLabel(e: number): string;
}

export function layoutOf(s: Snapshot): SnapshotLayout {
  const nf = s.meta.node_fields;
  const ef = s.meta.edge_fields;
  const nodeTypes = s.meta.node_types[0];
  const edgeTypes = s.meta.edge_types[0];
  const l = {
    nodeFields: nf.length, edgeFields: ef.length,
    type: nf.indexOf('type'), name: nf.indexOf('name'), selfSize: nf.indexOf('self_size'), edgeCount: nf.indexOf('edge_count'),
    edgeType: ef.indexOf('type'), edgeName: ef.indexOf('name_or_index'), edgeTo: ef.indexOf('to_node'),
  };
  const edgeTypeOf = (e: number): string => edgeTypes[s.edges[e + l.edgeType]!]!;
  return {
    ...l,
    group: (i) => {
      const type = nodeTypes[s.nodes[i * l.nodeFields + l.type]!]!;
      const name = s.strings[s.nodes[i * l.nodeFields + l.name]!] ?? '';
      return type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : type;
    },
    edgeTypeOf,
    edgeLabel: (e) => {
      const et = edgeTypeOf(e);
      return et === 'element' || et === 'hidden' ? `[${et}]` : (s.strings[s.edges[e + l.edgeName]!] ?? '?').slice(0, 40);
    },
  };
}

export interface HeapGroup { group: string; count: number; selfMiB: number; heldBy: string[] }
export interface HeapSummary { totalMiB: number; nodes: number; groups: HeapGroup[] }

const MiB = 1024 * 1024;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function summariseHeap(file: string, top = 25): HeapSummary {
  const s = readSnapshot(file);
  const l = layoutOf(s);
  const N = l.nodeFields;
  const E = l.edgeFields;
  const count = s.nodes.length / N;
  const groupOf = new Array<string>(count);
  const byGroup = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const g = l.group(i);
    groupOf[i] = g;
    const size = s.nodes[i * N + l.selfSize]!;
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
    const n = s.nodes[i * N + l.edgeCount]!;
    for (let k = 0; k < n; k++, edge++) {
      const et = l.edgeTypeOf(edge * E);
      if (et === 'weak' || et === 'shortcut') continue;
      const to = s.edges[edge * E + l.edgeTo]! / N;
      const tg = groupOf[to]!;
      if (!watched.has(tg)) continue;
      const label = l.edgeLabel(edge * E);
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
