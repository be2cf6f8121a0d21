/**
 * Where a step's setup-latency tail comes from: the calls of one e2e step (capture timestamps) set
 * against what bench/lib/loop-probe.mjs saw inside trunkwise in the same wall-clock window — GC
 * pauses, main-thread stalls, event-loop delay, heap.
 */
import { readFileSync } from 'node:fs';
import type { CallSetup } from './setup-latency';
import { dist, r1, r3, type Dist } from './stats';

interface GcLine { t: 'gc'; at: number; ms: number; kind: number }
interface StallLine { t: 'stall'; at: number; ms: number }
interface SecLine { t: 'sec'; at: number; eld: { p50: number; p99: number; max: number }; heap: { usedMiB: number; totalMiB: number; newSpaceMiB: number; rssMiB: number; externalMiB: number; arrayBuffersMiB: number } }
type ProbeLine = GcLine | StallLine | SecLine;

export interface TailAnalysis {
  /** Calls whose setup took longer than SLOW_MS. */
  slowCalls: number;
  /** Of those, how many had a GC pause ≥ 5 ms / a main-thread stall ≥ 10 ms inside their setup window. */
  slowWithGc: number;
  slowWithStall: number;
  scavenges: { n: number; ms?: Dist };
  markCompacts: { n: number; ms?: Dist };
  /** Incremental marking steps and weak-callback phases. */
  otherGc: { n: number; totalMs: number };
  gcTotalMs: number;
  stalls: { n: number; over50: number; ms?: Dist };
  /** Stall time not covered by a GC pause (sync work or the process descheduled). */
  stallMsWithoutGc: number;
  eldP99MaxMs: number;
  eldMaxMs: number;
  heapUsedMaxMiB: number;
  heapTotalMaxMiB: number;
  newSpaceMiB: number;
  rssMaxMiB: number;
  /** Buffers' backing stores (outside the JS heap): pooled 8 KiB slabs pinned by long-lived slices show here. */
  arrayBuffersMaxMiB: number;
  /**
   * The slowest 1 % of calls (what the p99 measures): how many, how many had any GC pause inside their
   * setup, and the median of (their setup − the step's median setup) against the GC time inside them —
   * whether the p99 is the collector or something else (stalls under the probe's 10 ms, queueing).
   */
  p99Tail: { calls: number; withAnyGc: number; extraMsP50: number; gcMsInsideP50: number };
  /** Worst 100 ms windows: start (s from the first INVITE), worst setup in it, GC and stall ms in it. */
  worst: { atS: number; setupMs: number; gcMs: number; stallMs: number }[];
}

export const SLOW_MS = 50;

export function readProbe(file: string): ProbeLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ProbeLine);
}

const overlaps = (a0: number, a1: number, b0: number, b1: number): boolean => a0 < b1 && b0 < a1;

export function analyseTail(setups: readonly CallSetup[], probe: readonly ProbeLine[]): TailAnalysis | undefined {
  const done = setups.filter((c) => c.finalUs !== undefined);
  if (done.length === 0) return undefined;
  const t0 = done[0]!.inviteUs / 1000;
  const t1 = Math.max(...done.map((c) => c.finalUs! / 1000));
  const inWin = <T extends { at: number }>(x: T): boolean => x.at >= t0 - 50 && x.at <= t1;
  const gcs = probe.filter((l): l is GcLine => l.t === 'gc').filter(inWin);
  const stalls = probe.filter((l): l is StallLine => l.t === 'stall').filter(inWin);
  const secs = probe.filter((l): l is SecLine => l.t === 'sec').filter((s) => s.at >= t0 && s.at <= t1 + 1000);
  const scav = gcs.filter((g) => g.kind === 1);
  const mc = gcs.filter((g) => g.kind === 2);
  const other = gcs.filter((g) => g.kind !== 1 && g.kind !== 2);
  const setupMs = (c: CallSetup): number => (c.finalUs! - c.inviteUs) / 1000;
  const slow = done.filter((c) => setupMs(c) > SLOW_MS);
  const bySetup = [...done].sort((a, b) => setupMs(a) - setupMs(b));
  const medianMs = dist(done.map(setupMs))!.p50;
  const tail = bySetup.slice(Math.floor(bySetup.length * 0.99));
  const bigGc = gcs.filter((g) => g.ms >= 5);
  const bigStall = stalls.filter((s) => s.ms >= 10);
  const hit = (c: CallSetup, xs: readonly { at: number; ms: number }[]): boolean => xs.some((x) => overlaps(c.inviteUs / 1000, c.finalUs! / 1000, x.at, x.at + x.ms));
  const gcMsIn = (a: number, b: number, xs: readonly { at: number; ms: number }[]): number =>
    xs.reduce((s, x) => s + Math.max(0, Math.min(b, x.at + x.ms) - Math.max(a, x.at)), 0);
  // Stall time not explained by GC: each stall minus the GC pauses inside it.
  const stallMsWithoutGc = stalls.reduce((s, x) => s + Math.max(0, x.ms - gcMsIn(x.at, x.at + x.ms, gcs)), 0);
  const windows = new Map<number, number>();
  for (const c of done) {
    const w = Math.floor((c.inviteUs / 1000 - t0) / 100);
    windows.set(w, Math.max(windows.get(w) ?? 0, setupMs(c)));
  }
  const worst = [...windows.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([w, ms]) => {
    const a = t0 + w * 100;
    const b = a + 100 + ms;
    return { atS: r1((w * 100) / 1000), setupMs: r1(ms), gcMs: r1(gcMsIn(a, b, gcs)), stallMs: r1(gcMsIn(a, b, stalls)) };
  });
  return {
    slowCalls: slow.length,
    slowWithGc: slow.filter((c) => hit(c, bigGc)).length,
    slowWithStall: slow.filter((c) => hit(c, bigStall)).length,
    scavenges: { n: scav.length, ...(scav.length && { ms: dist(scav.map((g) => g.ms)) }) },
    markCompacts: { n: mc.length, ...(mc.length && { ms: dist(mc.map((g) => g.ms)) }) },
    otherGc: { n: other.length, totalMs: r1(other.reduce((s, g) => s + g.ms, 0)) },
    gcTotalMs: r1(gcs.reduce((s, g) => s + g.ms, 0)),
    stalls: { n: stalls.length, over50: stalls.filter((s) => s.ms > 50).length, ...(stalls.length && { ms: dist(stalls.map((s) => s.ms)) }) },
    stallMsWithoutGc: r1(stallMsWithoutGc),
    eldP99MaxMs: r3(Math.max(0, ...secs.map((s) => s.eld.p99))),
    eldMaxMs: r3(Math.max(0, ...secs.map((s) => s.eld.max))),
    heapUsedMaxMiB: r1(Math.max(0, ...secs.map((s) => s.heap.usedMiB))),
    heapTotalMaxMiB: r1(Math.max(0, ...secs.map((s) => s.heap.totalMiB))),
    newSpaceMiB: r1(Math.max(0, ...secs.map((s) => s.heap.newSpaceMiB))),
    rssMaxMiB: r1(Math.max(0, ...secs.map((s) => s.heap.rssMiB))),
    arrayBuffersMaxMiB: r1(Math.max(0, ...secs.map((s) => s.heap.arrayBuffersMiB))),
    p99Tail: {
      calls: tail.length,
      withAnyGc: tail.filter((c) => hit(c, gcs)).length,
      extraMsP50: r1(dist(tail.map((c) => setupMs(c) - medianMs))?.p50 ?? 0),
      gcMsInsideP50: r1(dist(tail.map((c) => gcMsIn(c.inviteUs / 1000, c.finalUs! / 1000, gcs)))?.p50 ?? 0),
    },
    worst,
  };
}

