/**
 * Where a V8 CPU profile (node --cpu-prof) spent its time: self time per function and per area
 * (trunkwise's engine / app, drachtio-srf, pino, Node internals, GC…).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idlePct: number;
  topFunctions: ProfileRow[];
  byArea: ProfileRow[];
}

/** The area a function belongs to, from its script URL. */
export function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const u = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `npm: ${nm[1]}`;
  const src = /\/src\/([^/]+)(?:\/([^/]+))?\//.exec(u);
  if (src) return `trunkwise src/${src[1]}${src[2] && src[1] === 'engine' ? `/${src[2]}` : ''}`;
  if (u.startsWith('node:')) return `node: ${u.slice(5).split('/')[0]}`;
  return u;
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const i = u.search(/\/(src|node_modules)\//);
  return i >= 0 ? u.slice(i + 1) : u;
}

/**
 * `buildDir`: the compiled tree the profiled process ran (bench/lib/build.ts) — its modules are
 * reported as the src/ files they were compiled from (lines are the compiled file's).
 */
export function summariseProfile(file: string, top = 25, buildDir?: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (buildDir) {
    const root = `${buildDir.replace(/\/+$/, '')}/`;
    for (const n of p.nodes) {
      const u = n.callFrame.url.replace(/^file:\/\//, '');
      if (u.startsWith(root) && !u.startsWith(`${root}node_modules/`)) n.callFrame.url = `/src/${u.slice(root.length)}`;
    }
  }
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const totalUs = p.timeDeltas.reduce((a, b) => a + Math.max(0, b), 0);
  const fnTotals = new Map<string, number>();
  const areaTotals = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const f = n.callFrame;
    if (f.functionName === '(idle)') idleUs += us;
    const name = `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;
    fnTotals.set(name, (fnTotals.get(name) ?? 0) + us);
    const a = area(f.url, f.functionName);
    areaTotals.set(a, (areaTotals.get(a) ?? 0) + us);
  }
  const rows = (m: Map<string, number>, n: number): ProfileRow[] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, pct: Math.round((us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), idlePct: Math.round((idleUs / totalUs) * 1000) / 10, topFunctions: rows(fnTotals, top), byArea: rows(areaTotals, 20) };
}
