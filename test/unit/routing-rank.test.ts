import t from 'tap';
import { rankCarriers } from '../../src/routing/rank';
import { seededRandom } from '../../src/routing/prng';
import { compiled, snap, type RouteSpec } from '../fixtures/config/builders';
import type { CarrierSnapshot } from '../../src/routing/types';

const S = (rrCounter = 0, seed = 1) => ({ rrCounter, random: seededRandom(seed), now: 0 });
const five = (over: Record<string, Partial<CarrierSnapshot>> = {}): CarrierSnapshot[] =>
  ['c0', 'c1', 'c2', 'c3', 'c4'].map((id) => snap(id, over[id]));
const weighted = (extra: Partial<RouteSpec> = {}) => compiled({
  id: 'r',
  carriers: [{ id: 'c0', weight: 30 }, { id: 'c1', weight: 25 }, { id: 'c2', weight: 20 }, { id: 'c3', weight: 15 }, { id: 'c4', weight: 10 }],
  ...extra,
});

t.test('health-weighted: deterministic given random, without replacement, truncated to maxAttempts', async (t) => {
  const r = weighted({ maxAttempts: 3 });
  const a = rankCarriers(r, five(), S(0, 42));
  const b = rankCarriers(r, five(), S(0, 42));
  t.same(a, b);
  t.equal(a.ordered.length, 3);
  t.equal(new Set(a.ordered).size, 3);
  t.equal(a.mode, 'normal');
  t.same(rankCarriers(r, five(), { rrCounter: 0, random: () => 0, now: 0 }).ordered, ['c0', 'c1', 'c2'], 'random 0 → heaviest first each draw');
  t.same(rankCarriers(r, five(), { rrCounter: 0, random: () => 0.999999, now: 0 }).ordered, ['c4', 'c3', 'c2'], 'random ~1 → last first');
});

t.test('health-weighted: first-choice distribution within 2 % of weights over 100k decisions', async (t) => {
  const r = weighted({ maxAttempts: 1 });
  const snapshot = five();
  const random = seededRandom(20240601);
  const counts: Record<string, number> = {};
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const id = rankCarriers(r, snapshot, { rrCounter: i, random, now: i })[`ordered`][0]!;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  const expected: Record<string, number> = { c0: 0.3, c1: 0.25, c2: 0.2, c3: 0.15, c4: 0.1 };
  for (const [id, share] of Object.entries(expected)) {
    const got = (counts[id] ?? 0) / N;
    t.ok(Math.abs(got - share) / share < 0.02, `${id}: ${(got * 100).toFixed(2)} % vs ${share * 100} %`);
  }
});

t.test('health-weighted: score and rampFactor scale the weight', async (t) => {
  const r = weighted({ maxAttempts: 1 });
  // c0 weight 30 × score 0.5 = 15; c1 25 × ramp 0.2 = 5; c2 20; c3 15; c4 10 → total 65
  const snapshot = five({ c0: { score: 0.5 }, c1: { rampFactor: 0.2 } });
  const random = seededRandom(7);
  const counts: Record<string, number> = {};
  const N = 50_000;
  for (let i = 0; i < N; i++) {
    const id = rankCarriers(r, snapshot, { rrCounter: 0, random, now: 0 }).ordered[0]!;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  t.ok(Math.abs(counts.c0! / N - 15 / 65) < 0.01, 'c0 halved by score');
  t.ok(Math.abs(counts.c1! / N - 5 / 65) < 0.01, 'c1 reduced by ramp');
  t.ok(Math.abs(counts.c2! / N - 20 / 65) < 0.01);
});

t.test('health-weighted: zero-weight (score 0) carriers follow the weighted ones', async (t) => {
  const r = weighted();
  const p = rankCarriers(r, five({ c0: { score: 0 }, c1: { score: 0, state: 'degraded' } }), S(0, 3));
  t.same(p.ordered.slice(3).sort(), ['c0', 'c1']);
  t.same(p.skipped, []);
});

t.test('priority: by order, ties by weight, then pool position', async (t) => {
  const r = compiled({ id: 'r', strategy: 'priority', carriers: [
    { id: 'c0', order: 2, weight: 1 }, { id: 'c1', order: 1, weight: 1 }, { id: 'c2', order: 1, weight: 5 }, { id: 'c3', order: 0, weight: 1 }, { id: 'c4', order: 2, weight: 1 },
  ] });
  t.same(rankCarriers(r, five(), S()).ordered, ['c3', 'c2', 'c1', 'c0', 'c4']);
  t.same(rankCarriers(r, five({ c3: { state: 'down' } }), S()).ordered, ['c2', 'c1', 'c0', 'c4']);
});

t.test('round-robin: the start rotates with rrCounter over usable carriers', async (t) => {
  const r = compiled({ id: 'r', strategy: 'round-robin', carriers: ['c0', 'c1', 'c2'], maxAttempts: 3 });
  const snapshot = five();
  t.same(rankCarriers(r, snapshot, S(0)).ordered, ['c0', 'c1', 'c2']);
  t.same(rankCarriers(r, snapshot, S(1)).ordered, ['c1', 'c2', 'c0']);
  t.same(rankCarriers(r, snapshot, S(5)).ordered, ['c2', 'c0', 'c1']);
  t.same(rankCarriers(r, five({ c1: { state: 'drained' } }), S(1)).ordered, ['c2', 'c0']);
  const firsts = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const f = rankCarriers(r, snapshot, S(i)).ordered[0]!;
    firsts.set(f, (firsts.get(f) ?? 0) + 1);
  }
  t.same([...firsts.values()], [100, 100, 100], 'even spread');
});

t.test('least-loaded: by activeCalls / maxConcurrent', async (t) => {
  const r = compiled({ id: 'r', strategy: 'least-loaded', carriers: [
    { id: 'c0', maxConcurrent: 100 }, { id: 'c1', maxConcurrent: 10 }, { id: 'c2', maxConcurrent: 50 }, { id: 'c3' },
  ] });
  const snapshot = five({ c0: { activeCalls: 50 }, c1: { activeCalls: 2 }, c2: { activeCalls: 40 }, c3: { activeCalls: 30 } });
  // loads: c0 0.5, c1 0.2, c2 0.8, c3 30/100 (uncapped → largest cap in pool) = 0.3
  t.same(rankCarriers(r, snapshot, S()).ordered, ['c1', 'c3', 'c0', 'c2']);
  t.same(rankCarriers(r, five({ c1: { activeCalls: 2, maxConcurrent: 4 } }), S()).ordered.slice(0, 1), ['c0'], 'a snapshot cap overrides the configured one (c1 0.5, others 0 → c0 by position)');
});

t.test('caps: carriers at maxConcurrent or maxCps go to the end with a reason', async (t) => {
  const r = compiled({ id: 'r', strategy: 'priority', carriers: [{ id: 'c0', maxConcurrent: 2 }, { id: 'c1', maxCps: 5 }, 'c2', 'c3'] });
  const p = rankCarriers(r, five({ c0: { activeCalls: 2 }, c1: { cpsInLastSecond: 5 }, c2: { cpsInLastSecond: 9, maxCps: 9 } }), S());
  t.same(p.ordered, ['c3', 'c0', 'c1', 'c2'], 'capped ones last, not dropped');
  t.same(p.skipped, [{ id: 'c0', reason: 'max-concurrent' }, { id: 'c1', reason: 'max-cps' }, { id: 'c2', reason: 'max-cps' }]);
  t.equal(p.mode, 'normal');
  const truncated = rankCarriers({ ...r, maxAttempts: 2 }, five({ c0: { activeCalls: 2 } }), S());
  t.same(truncated.ordered, ['c1', 'c2'], 'with enough usable carriers a capped one is not reached');
});

t.test('all carriers capped: the call is still placed (never reject while one can take it)', async (t) => {
  const r = compiled({ id: 'r', carriers: [{ id: 'c0', maxConcurrent: 1 }, { id: 'c1', maxConcurrent: 1 }] });
  const p = rankCarriers(r, five({ c0: { activeCalls: 1, score: 0.4 }, c1: { activeCalls: 3, score: 0.9 } }), S());
  t.same(p.ordered, ['c1', 'c0'], 'by score');
  t.equal(p.mode, 'normal');
});

t.test('down, drained and disabled are skipped; drained/disabled never used', async (t) => {
  const r = weighted();
  const p = rankCarriers(r, five({ c0: { state: 'down' }, c1: { state: 'drained' }, c2: { state: 'disabled' } }), S());
  t.same(p.ordered.sort(), ['c3', 'c4']);
  t.same(p.skipped, [{ id: 'c0', reason: 'down' }, { id: 'c1', reason: 'drained' }, { id: 'c2', reason: 'disabled' }]);
  const q = rankCarriers(r, five({ c0: { state: 'degraded' }, c1: { state: 'probing' } }), S());
  t.equal(q.ordered.length, 4, 'degraded is usable; probing (recovering, not yet trusted) is not');
  t.notOk(q.ordered.includes('c1'));
  t.same(q.skipped, [{ id: 'c1', reason: 'probing' }]);
});

t.test('every carrier down: fall back to the down ones by score, never drained/disabled', async (t) => {
  const r = weighted({ maxAttempts: 3 });
  const p = rankCarriers(r, five({
    c0: { state: 'down', score: 0.1 }, c1: { state: 'down', score: 0.6 }, c2: { state: 'drained', score: 1 },
    c3: { state: 'down', score: 0.3 }, c4: { state: 'disabled', score: 1 },
  }), S());
  t.same(p.ordered, ['c1', 'c3', 'c0']);
  t.equal(p.mode, 'all-down');
  t.equal(p.skipped.length, 5);
  const none = rankCarriers(r, five({ c0: { state: 'drained' }, c1: { state: 'drained' }, c2: { state: 'disabled' }, c3: { state: 'disabled' }, c4: { state: 'drained' } }), S());
  t.same(none.ordered, [], 'all drained/disabled: nothing to try (E_ALL_CARRIERS_DOWN)');
});

t.test('snapshot lookup: any order, missing carriers treated like down', async (t) => {
  const r = compiled({ id: 'r', strategy: 'priority', carriers: ['c0', 'c1', 'c2'] });
  const reversed = five().reverse();
  t.same(rankCarriers(r, reversed, S()).ordered, ['c0', 'c1', 'c2'], 'out-of-order snapshot');
  const partial = [snap('c2', { state: 'down' })];
  const p = rankCarriers(r, partial, S());
  t.same(p.skipped.map((s) => s.reason), ['no-snapshot', 'no-snapshot', 'down']);
  t.equal(p.mode, 'all-down');
  t.equal(p.ordered.length, 3);
  const q = rankCarriers(r, [snap('c1')], S());
  t.same(q.ordered, ['c1'], 'missing ones are not tried while another carrier is usable');
});

t.test('rankCarriers does not mutate its inputs', async (t) => {
  const r = weighted();
  const snapshot = five({ c0: { activeCalls: 3 } });
  const before = JSON.stringify([r, snapshot]);
  rankCarriers(Object.freeze(r), Object.freeze(snapshot), S());
  t.equal(JSON.stringify([r, snapshot]), before);
});

t.test('health-weighted: a degraded carrier gets half the share its score alone would give it', async (t) => {
  const r = compiled({ id: 'r', carriers: [{ id: 'c0', weight: 50 }, { id: 'c1', weight: 50 }], maxAttempts: 1 });
  const snaps = [snap('c0', { score: 0.6 }), snap('c1', { score: 0.6, state: 'degraded' })];
  const random = seededRandom(7);
  let c1 = 0;
  const N = 50_000;
  for (let i = 0; i < N; i++) if (rankCarriers(r, snaps, { rrCounter: i, random, now: i }).ordered[0] === 'c1') c1++;
  // w = weight × score × ramp × (½ when degraded): 0.3 against 0.6 → one in three first choices.
  t.ok(Math.abs(c1 / N - 1 / 3) < 0.01, `degraded c1 first in ${((c1 / N) * 100).toFixed(1)} % (expected 33.3 %; 50 % by score alone)`);
  const both = rankCarriers(compiled({ id: 'r', carriers: [{ id: 'c0', weight: 50 }, { id: 'c1', weight: 50 }], maxAttempts: 2 }), snaps, S(0, 3));
  t.same([...both.ordered].sort(), ['c0', 'c1'], 'still usable: it is ranked, just less often first');
});
