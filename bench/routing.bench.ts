/**
 * Routing microbenchmark: matchRoute + rankCarriers per call decision, for configs of 5, 50 and
 * 500 carriers with a 200-route dial plan. Usage: npx tsx bench/routing.bench.ts
 *
 * Method (printed and written with the results):
 *  - Each config is generated as YAML and loaded through the real loader (schema, compile, freeze).
 *  - 4096 pre-generated requests are cycled: ~75 % hit prefix routes (most specific wins among
 *    nested national/mobile prefixes), ~10 % pattern routes, ~5 % carry Priority: emergency,
 *    the rest fall to the default route; sources are spread over IPv4 and IPv6 addresses.
 *  - The health snapshot mixes states (active/degraded/probing/down/drained) and some carriers at
 *    their caps, in config order (the loader's fast lookup path).
 *  - Latency: after WARMUP decisions, DECISIONS decisions are timed in batches of BATCH with
 *    process.hrtime.bigint(); per-decision time = batch time / BATCH, so the ~30–100 ns cost of
 *    reading the clock is spread over the batch instead of dominating. p50/p99 are over batch means
 *    (they show run-to-run jitter: GC pauses, JIT, other load), not single-call tails.
 *  - Allocation: V8's gc is exposed at run time; before each window of ALLOC_WINDOW decisions a full
 *    GC runs, then used_heap_size after minus before / ALLOC_WINDOW; the median over windows is
 *    reported (windows are small enough that no scavenge runs inside one; negative deltas, meaning
 *    one did, are discarded).
 *  - Peer in the same run: a naive matcher (linear scan of all routes in evaluation order, string
 *    startsWith / RegExp / CIDR test per route); it must pick the same route for every request.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig, formatConfigErrors, type TrunkwiseConfig } from '../src/config';
import { matchRoute, rankCarriers, seededRandom, cidrContains, parseIp, type CarrierSnapshot, type CompiledRoute, type RouteRequest } from '../src/routing';

const CARRIER_COUNTS = [5, 50, 500];
const ROUTES = 200;
const WARMUP = 50_000;
const DECISIONS = 200_000;
const BATCH = 1_000;
const ALLOC_WINDOW = 200;
const ALLOC_WINDOWS = 100;
const REQUESTS = 4096;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Dist { p50: number; p99: number; mean: number }
interface SizeResult {
  carriers: number;
  routes: number;
  loadMs: number;
  decision: Dist;
  matchOnly: Dist;
  rankOnly: Dist;
  naiveMatch: Dist;
  bytesPerDecision: number;
  decisionsPerSecond: number;
  defaultRouteShare: number;
}

/* ---------- config generation ---------- */

function carriersYaml(n: number): string {
  const lines = ['defaults:', '  probe: { enabled: true, intervalMs: 5000, timeoutMs: 1500, burst: 1, aliveCodes: [200] }', 'carriers:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  - id: carrier-${i}`, `    uri: sip:10.${(i >> 8) & 255}.${i & 255}.1:5060;transport=${i % 3 ? 'udp' : 'tcp'}`, `    weight: ${5 + (i * 7) % 30}`);
    if (i % 4 === 0) lines.push('    maxConcurrent: 100');
    if (i % 5 === 0) lines.push('    maxCps: 20');
  }
  return lines.join('\n') + '\n';
}

/** Country codes and nested national ranges, like a real dial plan. */
function prefixes(count: number): string[] {
  const out: string[] = [];
  const ccs = ['1', '7', '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49', '51', '52', '54', '55', '56', '57', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98', '212', '213', '216', '234', '254', '351', '352', '353', '354', '358', '359', '370', '371', '372', '380', '420', '421', '852', '886', '971', '972'];
  for (const cc of ccs) {
    out.push(`+${cc}`);
    if (out.length >= count) return out;
  }
  for (let k = 0; out.length < count; k++) {
    const cc = ccs[k % 16]!;
    out.push(`+${cc}${1 + (k % 9)}`, `+${cc}${1 + (k % 9)}${k % 10}`);
  }
  return out.slice(0, count);
}

function routesYaml(n: number, rnd: () => number): { files: Record<string, string>; prefixList: string[] } {
  const strategies = ['health-weighted', 'health-weighted', 'health-weighted', 'health-weighted', 'health-weighted', 'health-weighted', 'health-weighted', 'priority', 'round-robin', 'least-loaded'];
  const pool = (size: number): string => {
    const ids = new Set<number>();
    while (ids.size < Math.min(size, n)) ids.add(Math.floor(rnd() * n));
    return `[${[...ids].map((i) => `{ id: carrier-${i} }`).join(', ')}]`;
  };
  const prefixList = prefixes(ROUTES - 20 - 10 - 1 - 1);
  const prefixRoutes = prefixList.map((p, i) => [
    `  - id: p${i}`,
    `    match: { prefix: '${p}'${i % 17 === 0 ? `, sources: ['10.${i}.0.0/16', '2001:db8:${i.toString(16)}::/48']` : ''} }`,
    `    carriers: ${pool(3 + (i % 6))}`,
    `    strategy: ${strategies[i % strategies.length]}`,
    '    maxAttempts: 3',
  ].join('\n'));
  const patternRoutes = Array.from({ length: 20 }, (_, i) => [
    `  - id: pat${i}`,
    `    order: ${90 + (i % 3)}`,
    `    match: { pattern: '^\\+8${i % 10}\\d{${6 + (i % 4)}}$' }`,
    `    carriers: ${pool(4)}`,
    '    maxAttempts: 3',
  ].join('\n'));
  const sourceRoutes = Array.from({ length: 10 }, (_, i) => [
    `  - id: src${i}`,
    `    match: { sources: ['192.0.${i}.0/24', ivr-${i}] }`,
    `    carriers: ${pool(5)}`,
    '    maxAttempts: 3',
  ].join('\n'));
  const all = n;
  return {
    prefixList,
    files: {
      '10-priority.yaml': `routes:\n  - id: emergency\n    order: 10\n    match: { priority: { header: Priority, values: [emergency] } }\n    carriers: ${pool(Math.min(all, 10))}\n    maxAttempts: 5\n`,
      '20-national.yaml': `routes:\n${prefixRoutes.join('\n')}\n`,
      '30-patterns.yaml': `routes:\n${patternRoutes.join('\n')}\n`,
      '40-sources.yaml': `routes:\n${sourceRoutes.join('\n')}\n`,
      // The default route's pool is every carrier: its ranking cost grows with the carrier count.
      '99-default.yaml': `routes:\n  - id: default\n    default: true\n    carriers: [${Array.from({ length: all }, (_, i) => `{ id: carrier-${i} }`).join(', ')}]\n    maxAttempts: 3\n`,
    },
  };
}

function requests(prefixList: string[], rnd: () => number): RouteRequest[] {
  const srcs = ['192.0.2.10', '10.17.3.4', '10.34.9.9', '2001:db8:11::7', '192.0.3.5', '::ffff:10.0.0.1', '198.51.100.20'];
  const digits = (k: number): string => Array.from({ length: k }, () => Math.floor(rnd() * 10)).join('');
  const noHeaders = (): undefined => undefined;
  const emergency = (name: string): string | undefined => (name.toLowerCase() === 'priority' ? 'emergency' : undefined);
  const out: RouteRequest[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const x = rnd();
    let user: string;
    if (x < 0.75) user = prefixList[Math.floor(rnd() * prefixList.length)]! + digits(8);
    else if (x < 0.85) user = `+8${Math.floor(rnd() * 10)}${digits(6 + Math.floor(rnd() * 4))}`;
    else user = `+999${digits(8)}`;
    out.push({ user, sourceAddress: srcs[i % srcs.length]!, headers: rnd() < 0.05 ? emergency : noHeaders });
  }
  return out;
}

function snapshot(cfg: TrunkwiseConfig, rnd: () => number): CarrierSnapshot[] {
  return cfg.carriers.map((c) => {
    const x = rnd();
    const state = x < 0.85 ? 'active' : x < 0.9 ? 'degraded' : x < 0.93 ? 'probing' : x < 0.97 ? 'down' : 'drained';
    const capped = rnd() < 0.05;
    return {
      id: c.id, state, score: 0.5 + rnd() / 2, activeCalls: capped ? (c.maxConcurrent ?? 0) : Math.floor(rnd() * 50),
      cpsInLastSecond: Math.floor(rnd() * 10), ...(rnd() < 0.1 && { rampFactor: 0.3 }),
    };
  });
}

/* ---------- the peer: a naive matcher ---------- */

function naiveMatch(routes: readonly CompiledRoute[], req: RouteRequest): CompiledRoute {
  let best: CompiledRoute | undefined;
  let bestLen = -1;
  const addr = parseIp(req.sourceAddress);
  for (const r of routes) {
    if (r.default) continue;
    let len = 0;
    if (r.match.prefixes.length) {
      len = -1;
      for (const p of r.match.prefixes) if (req.user.startsWith(p) && p.length > len) len = p.length;
      if (len < 0) continue;
    }
    if (r.regex && !r.regex.test(req.user)) continue;
    if (r.sourceCidrs.length || r.sourceNames.length) {
      const ok = (req.sourceId !== undefined && r.sourceNames.includes(req.sourceId)) || (addr !== undefined && r.sourceCidrs.some((c) => cidrContains(c, addr)));
      if (!ok) continue;
    }
    const pm = r.match.priority;
    if (pm && !pm.values.includes((req.headers(pm.header) ?? '').trim().toLowerCase())) continue;
    if (!best || r.order < best.order || (r.order === best.order && (len > bestLen || (len === bestLen && r.rank < best.rank)))) {
      best = r;
      bestLen = len;
    }
  }
  return best ?? routes[routes.length - 1]!;
}

/* ---------- measurement ---------- */

function timeBatches(total: number, step: (i: number) => void): Dist {
  const per: number[] = [];
  let i = 0;
  for (let b = 0; b < total / BATCH; b++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < BATCH; k++) step(i++);
    per.push(Number(process.hrtime.bigint() - t0) / BATCH);
  }
  per.sort((a, b) => a - b);
  const q = (p: number): number => per[Math.min(per.length - 1, Math.floor(p * per.length))]!;
  return { p50: round(q(0.5)), p99: round(q(0.99)), mean: round(per.reduce((a, b) => a + b, 0) / per.length) };
}

function bytesPer(step: (i: number) => void): number {
  const samples: number[] = [];
  let i = 0;
  for (let w = 0; w < ALLOC_WINDOWS; w++) {
    gc();
    const h0 = v8.getHeapStatistics().used_heap_size;
    for (let k = 0; k < ALLOC_WINDOW; k++) step(i++);
    const h1 = v8.getHeapStatistics().used_heap_size;
    if (h1 >= h0) samples.push((h1 - h0) / ALLOC_WINDOW);
  }
  samples.sort((a, b) => a - b);
  return samples.length ? Math.round(samples[Math.floor(samples.length / 2)]!) : NaN;
}

const round = (x: number): number => Math.round(x * 10) / 10;

function benchSize(n: number): SizeResult {
  const rnd = seededRandom(1000 + n);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trunkwise-bench-'));
  try {
    const { files, prefixList } = routesYaml(n, rnd);
    writeFileSync(path.join(dir, 'carriers.yaml'), carriersYaml(n));
    mkdirSync(path.join(dir, 'routes'));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'routes', name), text);
    const t0 = process.hrtime.bigint();
    const r = loadConfig({ carriersFile: path.join(dir, 'carriers.yaml'), routesDir: path.join(dir, 'routes'), env: {} });
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    const cfg = r.config;
    const reqs = requests(prefixList, rnd);
    const snap = snapshot(cfg, rnd);
    const random = seededRandom(n);
    const table = cfg.routeTable;

    // Correctness cross-check against the naive peer, and the share of requests on the default route.
    let onDefault = 0;
    for (const q of reqs) {
      const a = matchRoute(table, q);
      const b = naiveMatch(cfg.routes, q);
      if (a !== b) throw new Error(`matchRoute and naive matcher disagree for ${q.user} from ${q.sourceAddress}: ${a.id} vs ${b.id}`);
      if (a.default) onDefault++;
    }
    const matched = reqs.map((q) => matchRoute(table, q));

    let sink = 0;
    const decision = (i: number): void => {
      const q = reqs[i & (REQUESTS - 1)]!;
      const route = matchRoute(table, q);
      sink += rankCarriers(route, snap, { rrCounter: i, random, now: i }).ordered.length;
    };
    const matchOnly = (i: number): void => {
      sink += matchRoute(table, reqs[i & (REQUESTS - 1)]!).rank;
    };
    const rankOnly = (i: number): void => {
      sink += rankCarriers(matched[i & (REQUESTS - 1)]!, snap, { rrCounter: i, random, now: i }).ordered.length;
    };
    const naive = (i: number): void => {
      sink += naiveMatch(cfg.routes, reqs[i & (REQUESTS - 1)]!).rank;
    };

    for (let i = 0; i < WARMUP; i++) {
      decision(i);
      matchOnly(i);
      rankOnly(i);
      naive(i);
    }
    const t1 = process.hrtime.bigint();
    const dDist = timeBatches(DECISIONS, decision);
    const wallS = Number(process.hrtime.bigint() - t1) / 1e9;
    const result: SizeResult = {
      carriers: n,
      routes: cfg.routes.length,
      loadMs: round(loadMs),
      decision: dDist,
      matchOnly: timeBatches(DECISIONS, matchOnly),
      rankOnly: timeBatches(DECISIONS, rankOnly),
      naiveMatch: timeBatches(DECISIONS / 4, naive),
      bytesPerDecision: bytesPer(decision),
      decisionsPerSecond: Math.round(DECISIONS / wallS),
      defaultRouteShare: round((onDefault / reqs.length) * 100),
    };
    if (sink === 0.5) console.log('unreachable'); // keeps `sink` observable so no work is optimised away
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* ---------- report ---------- */

function machine(): { cpu: string; cores: number; kernel: string; node: string; date: string } {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, kernel: `${os.type()} ${os.release()}`, node: process.version, date: new Date().toISOString() };
}

const METHOD = [
  `Config: N carriers (N = ${CARRIER_COUNTS.join(', ')}) and ${ROUTES} routes (prefix routes on nested country/national ranges, 20 pattern routes, 10 source routes, 1 priority-header route, the default route whose pool is all N carriers), generated as YAML and loaded through loadConfig.`,
  `Requests: ${REQUESTS} pre-generated, cycled (≈75 % prefix, ≈10 % pattern, ≈5 % Priority: emergency, rest default; IPv4 and IPv6 sources). Snapshot: mixed states, ~5 % at caps, in config order.`,
  `Latency: ${WARMUP.toLocaleString('en')} warm-up decisions, then ${DECISIONS.toLocaleString('en')} timed in batches of ${BATCH} with process.hrtime.bigint(); per-decision = batch / ${BATCH}; p50/p99 over batch means (jitter across batches, not single-call tails).`,
  `Allocation: full GC (gc exposed via v8.setFlagsFromString), then used_heap_size delta over ${ALLOC_WINDOW} decisions; median of ${ALLOC_WINDOWS} windows.`,
  'Peer: a naive linear-scan matcher over all routes (same rule), checked to agree with matchRoute on every request, timed the same way.',
];

function markdown(m: ReturnType<typeof machine>, results: SizeResult[], totalS: number): string {
  const row = (r: SizeResult): string =>
    `| ${r.carriers} | ${r.routes} | ${r.decision.p50} | ${r.decision.p99} | ${r.matchOnly.p50} | ${r.rankOnly.p50} | ${r.naiveMatch.p50} | ${r.bytesPerDecision} | ${r.decisionsPerSecond.toLocaleString('en')} | ${r.loadMs} |`;
  return [
    '# Routing microbenchmark (matchRoute + rankCarriers)',
    '',
    '`npx tsx bench/routing.bench.ts` — written by the benchmark; do not edit by hand.',
    '',
    '## Method',
    '',
    ...METHOD.map((s) => `- ${s}`),
    '',
    '## Machine',
    '',
    '| | |', '|---|---|',
    `| CPU | ${m.cpu} × ${m.cores} |`, `| kernel | ${m.kernel} |`, `| node | ${m.node} |`, `| date | ${m.date} |`,
    '',
    '## Results (ns per decision unless noted)',
    '',
    '| carriers | routes | decision p50 | decision p99 | match p50 | rank p50 | naive match p50 (peer) | bytes/decision | decisions/s | config load ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(row),
    '',
    `Share of requests on the default route (pool = all carriers): ${results.map((r) => `${r.carriers}: ${r.defaultRouteShare} %`).join(', ')}. Total run ${round(totalS)} s.`,
    '',
  ].join('\n');
}

export function runRoutingBench(outDir = path.join(__dirname, 'results')): { machine: ReturnType<typeof machine>; method: string[]; results: SizeResult[]; totalSeconds: number } {
  const m = machine();
  console.log(`routing microbenchmark — ${m.cpu} × ${m.cores}, ${m.kernel}, node ${m.node}`);
  for (const s of METHOD) console.log(`  method: ${s}`);
  const t0 = process.hrtime.bigint();
  const results: SizeResult[] = [];
  for (const n of CARRIER_COUNTS) {
    const r = benchSize(n);
    results.push(r);
    console.log(`  ${String(n).padStart(3)} carriers, ${r.routes} routes: decision p50 ${r.decision.p50} ns, p99 ${r.decision.p99} ns `
      + `(match ${r.matchOnly.p50} ns, rank ${r.rankOnly.p50} ns, naive match ${r.naiveMatch.p50} ns), ${r.bytesPerDecision} B/decision, `
      + `${r.decisionsPerSecond.toLocaleString('en')} decisions/s, load ${r.loadMs} ms`);
  }
  const totalSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const out = outDir;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'routing.md'), markdown(m, results, totalSeconds));
  const json = { benchmark: 'routing', machine: m, method: METHOD, results, totalSeconds: round(totalSeconds) };
  writeFileSync(path.join(out, 'routing.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`  wrote ${path.relative(process.cwd(), out) || '.'}/routing.md and routing.json (${round(totalSeconds)} s)`);
  return { machine: m, method: METHOD, results, totalSeconds };
}

if (require.main === module) runRoutingBench();
