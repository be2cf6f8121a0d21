/**
 * rankCarriers: the order in which a call tries the route's carriers. Pure and deterministic given
 * `state.random`; no clock reads.
 *
 * Tiers, in this order, truncated to route.maxAttempts:
 *  1. usable — state active / degraded and under both caps — ordered by the strategy;
 *  2. capped — usable but at maxConcurrent or maxCps — appended (by score) rather than dropped: a
 *     carrier that may refuse is still better than refusing an alarm call ourselves;
 *  3. only when tiers 1 and 2 are empty: down and probing (recovering, not yet trusted) carriers, and
 *     ones missing from the snapshot, by
 *     score — trying a carrier believed down beats failing the call (mode 'all-down').
 * Drained and disabled carriers are never used: an operator took them out deliberately.
 */
import type { PoolEntry, Strategy } from '../config/types';
import { sortIndices } from './sort';
import type { CarrierPlan, CarrierSnapshot, RankState, SkipReason } from './types';

export interface RankableRoute {
  readonly carriers: readonly PoolEntry[];
  readonly strategy: Strategy;
  readonly maxAttempts: number;
}

function unit(x: number | undefined, dflt: number): number {
  if (x === undefined || Number.isNaN(x)) return dflt;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** What the comparators below read; pool positions index both arrays. */
interface RankCtx {
  readonly pool: readonly PoolEntry[];
  readonly snaps: readonly (CarrierSnapshot | undefined)[];
  /** least-loaded: capacity assumed for carriers without maxConcurrent. */
  uncappedCapacity: number;
}

/* Comparators are module-level functions over a context, not closures: nothing allocated per call. */

function byScore(c: RankCtx, a: number, b: number): number {
  return unit(c.snaps[b]?.score, 0) - unit(c.snaps[a]?.score, 0) || c.pool[b]!.weight - c.pool[a]!.weight || a - b;
}

function byOrder(c: RankCtx, a: number, b: number): number {
  return c.pool[a]!.order - c.pool[b]!.order || c.pool[b]!.weight - c.pool[a]!.weight || a - b;
}

function load(c: RankCtx, i: number): number {
  const s = c.snaps[i]!;
  return s.activeCalls / (s.maxConcurrent ?? c.pool[i]!.maxConcurrent ?? c.uncappedCapacity);
}

function byLoad(c: RankCtx, a: number, b: number): number {
  return load(c, a) - load(c, b) || byScore(c, a, b);
}

/** Finds each pool entry's snapshot: O(1) when the snapshot is in config.carriers order (the usual case). */
function lookupSnapshots(pool: readonly PoolEntry[], snapshot: readonly CarrierSnapshot[]): (CarrierSnapshot | undefined)[] {
  const out: (CarrierSnapshot | undefined)[] = new Array<CarrierSnapshot | undefined>(pool.length);
  let byId: Map<string, CarrierSnapshot> | undefined;
  for (let i = 0; i < pool.length; i++) {
    const e = pool[i]!;
    const s = snapshot[e.carrierIndex];
    if (s !== undefined && s.id === e.id) {
      out[i] = s;
      continue;
    }
    if (byId === undefined) {
      byId = new Map();
      for (const x of snapshot) byId.set(x.id, x);
    }
    out[i] = byId.get(e.id);
  }
  return out;
}

export function rankCarriers(route: RankableRoute, snapshot: readonly CarrierSnapshot[], state: RankState): CarrierPlan {
  const pool = route.carriers;
  const snaps = lookupSnapshots(pool, snapshot);
  const usable: number[] = [];
  const capped: number[] = [];
  const fallback: number[] = [];
  const skipped: { id: string; reason: SkipReason }[] = [];
  for (let i = 0; i < pool.length; i++) {
    const e = pool[i]!;
    const s = snaps[i];
    if (s === undefined) {
      skipped.push({ id: e.id, reason: 'no-snapshot' });
      fallback.push(i);
      continue;
    }
    if (s.state === 'drained' || s.state === 'disabled') {
      skipped.push({ id: e.id, reason: s.state });
      continue;
    }
    if (s.state === 'down' || s.state === 'probing') {
      skipped.push({ id: e.id, reason: s.state });
      fallback.push(i);
      continue;
    }
    const maxConcurrent = s.maxConcurrent ?? e.maxConcurrent;
    if (maxConcurrent !== undefined && s.activeCalls >= maxConcurrent) {
      skipped.push({ id: e.id, reason: 'max-concurrent' });
      capped.push(i);
      continue;
    }
    const maxCps = s.maxCps ?? e.maxCps;
    if (maxCps !== undefined && s.cpsInLastSecond >= maxCps) {
      skipped.push({ id: e.id, reason: 'max-cps' });
      capped.push(i);
      continue;
    }
    usable.push(i);
  }

  const limit = route.maxAttempts;
  const ordered: string[] = [];
  const ctx: RankCtx = { pool, snaps, uncappedCapacity: 1 };

  if (usable.length > 0) orderUsable(route.strategy, ctx, usable, state, limit, ordered);
  if (ordered.length < limit && capped.length > 0) {
    sortIndices(capped, byScore, ctx);
    for (let j = 0; j < capped.length && ordered.length < limit; j++) ordered.push(pool[capped[j]!]!.id);
  }
  if (usable.length === 0 && capped.length === 0 && fallback.length > 0) {
    sortIndices(fallback, byScore, ctx);
    for (let j = 0; j < fallback.length && ordered.length < limit; j++) ordered.push(pool[fallback[j]!]!.id);
    return { ordered, skipped, mode: 'all-down' };
  }
  return { ordered, skipped, mode: 'normal' };
}

function orderUsable(strategy: Strategy, ctx: RankCtx, usable: number[], state: RankState, limit: number, out: string[]): void {
  const { pool, snaps } = ctx;
  const n = usable.length;
  switch (strategy) {
    case 'health-weighted':
      return weightedWithoutReplacement(ctx, usable, state.random, limit, out);
    case 'priority':
      // Strict order; equal orders by weight (higher first), then pool position.
      sortIndices(usable, byOrder, ctx);
      break;
    case 'round-robin': {
      // Rotate the usable carriers (pool order) by the caller's counter.
      const c = Number.isFinite(state.rrCounter) ? Math.abs(Math.trunc(state.rrCounter)) : 0;
      const start = c % n;
      for (let j = 0; j < n && out.length < limit; j++) out.push(pool[usable[(start + j) % n]!]!.id);
      return;
    }
    case 'least-loaded': {
      // Load = activeCalls / maxConcurrent. Uncapped carriers are given the largest cap in the pool
      // (or 1 when none is capped, i.e. raw active calls) so capped and uncapped stay comparable.
      // Ties by score, weight, position.
      let largest = 0;
      for (let j = 0; j < n; j++) largest = Math.max(largest, snaps[usable[j]!]!.maxConcurrent ?? pool[usable[j]!]!.maxConcurrent ?? 0);
      ctx.uncappedCapacity = largest || 1;
      sortIndices(usable, byLoad, ctx);
      break;
    }
  }
  for (let j = 0; j < n && out.length < limit; j++) out.push(pool[usable[j]!]!.id);
}

/**
 * A degraded carrier's weight is halved on top of its score: health judged it worse for several
 * evaluations in a row, and a score just under degradedBelow (0.6–0.7) alone would still leave it
 * most of its traffic. Alarm calls go there less, and it keeps enough calls to show it recovered.
 */
export const DEGRADED_SHARE = 0.5;

/**
 * Weighted random order without replacement: each draw picks carrier i with probability
 * w_i / Σw over the carriers not yet drawn, w = weight × score × rampFactor (× DEGRADED_SHARE when
 * degraded). One `random()` per draw, and only as many draws as attempts are needed. Zero-weight
 * carriers follow, by score.
 */
function weightedWithoutReplacement(ctx: RankCtx, usable: number[], random: () => number, limit: number, out: string[]): void {
  const { pool, snaps } = ctx;
  const n = usable.length;
  const w = new Array<number>(n);
  let total = 0;
  let positive = 0;
  for (let j = 0; j < n; j++) {
    const i = usable[j]!;
    const s = snaps[i]!;
    const x = pool[i]!.weight * unit(s.score, 0) * unit(s.rampFactor, 1) * (s.state === 'degraded' ? DEGRADED_SHARE : 1);
    w[j] = x;
    total += x;
    if (x > 0) positive++;
  }
  while (positive > 0 && out.length < limit) {
    let r = random() * total;
    let pick = -1;
    for (let j = 0; j < n; j++) {
      const x = w[j]!;
      if (x <= 0) continue;
      pick = j; // the last positive one absorbs floating-point rounding at the top end
      if (r < x) break;
      r -= x;
    }
    out.push(pool[usable[pick]!]!.id);
    total -= w[pick]!;
    w[pick] = -1; // drawn
    positive--;
  }
  if (out.length >= limit) return;
  const rest: number[] = [];
  for (let j = 0; j < n; j++) if (w[j] === 0) rest.push(usable[j]!);
  sortIndices(rest, byScore, ctx);
  for (let j = 0; j < rest.length && out.length < limit; j++) out.push(pool[rest[j]!]!.id);
}
