/**
 * `npx tsx fuzz/heap-diff.ts A.heapsnapshot B.heapsnapshot [N]` — what grew between two heap snapshots
 * of the edge (written by `npm run fuzz -- --heap-snapshots`): objects counted and sized by type and
 * constructor/function name, the N largest growths by retained-nothing self size and by count. An
 * investigation tool for issue 9's "RSS after ≤ 1.2× before": it tells retained objects (a leak to
 * fix) from a heap that is simply larger.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Tally = Map<string, { count: number; size: number }>;

export function tally(file: string): Tally {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const out: Tally = new Map();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!] ?? '?';
    const name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + iName]!]!.slice(0, 80) : '';
    const key = `${type}:${name}`;
    const t = out.get(key) ?? { count: 0, size: 0 };
    t.count++;
    t.size += s.nodes[i + iSize]!;
    out.set(key, t);
  }
  return out;
}

function main(): void {
  const [a, b, nArg] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: heap-diff A.heapsnapshot B.heapsnapshot [N]');
  const n = Number(nArg ?? 25);
  const A = tally(a);
  const B = tally(b);
  const rows = [...new Set([...A.keys(), ...B.keys()])].map((k) => {
    const x = A.get(k) ?? { count: 0, size: 0 };
    const y = B.get(k) ?? { count: 0, size: 0 };
    return { k, dCount: y.count - x.count, dSize: y.size - x.size, count: y.count, size: y.size };
  });
  const total = (t: Tally): number => [...t.values()].reduce((s, v) => s + v.size, 0);
  process.stdout.write(`self size total: ${(total(A) / 1048576).toFixed(1)} → ${(total(B) / 1048576).toFixed(1)} MiB\n`);
  for (const [title, key] of [['by size growth', 'dSize'], ['by count growth', 'dCount']] as const) {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows.sort((p, q) => q[key] - p[key]).slice(0, n)) {
      process.stdout.write(`${String(r.dCount).padStart(9)} ${(r.dSize / 1024).toFixed(0).padStart(9)} KiB  (now ${r.count} / ${(r.size / 1024).toFixed(0)} KiB)  ${r.k}\n`);
    }
  }
}

if (require.main === module) main();
