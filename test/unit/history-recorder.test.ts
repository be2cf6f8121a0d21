/**
 * The in-process history (src/history): bounded rings, per-step points (calls/s, trailing-window ASR
 * and setup p95 from cumulative histograms), windows that end "now", calls failed to the IVR.
 */
import t from 'tap';
import { Ring } from '../../src/history/series';
import { histogramDelta, histogramQuantile } from '../../src/history/quantile';
import { HistoryRecorder } from '../../src/history/recorder';
import type { CarrierReading, Reading } from '../../src/history/types';

const LE = [0.05, 0.1, 0.25, 0.5, 1, Infinity];

function carrier(over: Partial<CarrierReading>): CarrierReading {
  return { id: 'a', state: 'active', score: 1, callsUp: 0, attempts: 0, answered: 0, failed: 0, retried: 0, setup: { le: LE, counts: LE.map(() => 0) }, probeRttMs: null, rtpLoss: null, ...over };
}

t.test('ring: bounded, oldest first, lookup by time', async (t) => {
  const r = new Ring<number>(3);
  t.same(r.toArray(), []);
  t.equal(r.latest(), undefined);
  for (const x of [1, 2, 3, 4, 5]) r.push(x);
  t.same(r.toArray(), [3, 4, 5], 'keeps the newest 3');
  t.equal(r.size, 3);
  t.equal(r.latest(), 5);
  t.equal(r.atOrBefore(4, (x) => x), 4);
  t.equal(r.atOrBefore(4.5, (x) => x), 4);
  t.equal(r.atOrBefore(1, (x) => x), 3, 'older than everything: the oldest');
  t.throws(() => new Ring(0));
});

t.test('histogram quantile as Prometheus computes it', async (t) => {
  t.equal(histogramQuantile(0.95, { le: LE, counts: [0, 0, 0, 0, 0, 0] }), null, 'empty → null');
  // 100 observations, all in (0.1, 0.25]: p95 interpolates inside that bucket.
  t.equal(histogramQuantile(0.95, { le: LE, counts: [0, 0, 100, 100, 100, 100] }), 0.1 + 0.15 * 0.95);
  t.equal(histogramQuantile(0.5, { le: LE, counts: [100, 100, 100, 100, 100, 100] }), 0.025, 'first bucket starts at 0');
  t.equal(histogramQuantile(0.95, { le: LE, counts: [0, 0, 0, 0, 0, 10] }), 1, '+Inf bucket → highest finite bound');
  t.same(histogramDelta({ le: LE, counts: [5, 6, 7, 8, 9, 10] }, { le: LE, counts: [1, 1, 1, 1, 1, 1] }).counts, [4, 5, 6, 7, 8, 9]);
});

t.test('points per step: calls/s, failures retried, ASR and setup p95 over the trailing minute', async (t) => {
  const readings: Reading[] = [];
  let n = 0;
  const h = new HistoryRecorder({ read: async () => readings[n++]! }, { stepMs: 5000, keepMs: 60_000 });
  const at = (s: number): number => 1_000_000 + s * 1000;
  const r = (s: number, c: Partial<CarrierReading>, failedCalls = 0): Reading => ({ at: at(s), carriers: [carrier(c)], edge: { answered: 0, failed: failedCalls, cancelled: 0 } });
  readings.push(r(0, {}));
  readings.push(r(5, { attempts: 50, answered: 45, failed: 5, retried: 5, setup: { le: LE, counts: [0, 45, 45, 45, 45, 45] } }));
  readings.push(r(10, { attempts: 100, answered: 50, failed: 50, retried: 40, state: 'degraded', score: 0.5, setup: { le: LE, counts: [0, 45, 45, 45, 50, 50] } }, 10));
  for (let i = 0; i < 3; i++) await h.sample(0);
  const p = h.carrierPoints('a', 0)!;
  t.equal(p.length, 2, 'one point per step after the first reading');
  t.equal(p[0]!.cps, 10, '50 attempts in 5 s');
  t.same([p[0]!.failed, p[0]!.retried], [5, 5]);
  t.equal(p[0]!.asr, 0.9);
  t.ok(p[0]!.setupP95Ms! > 50 && p[0]!.setupP95Ms! <= 100, `setup p95 ${p[0]!.setupP95Ms} ms in the 50–100 ms bucket`);
  t.same([p[1]!.state, p[1]!.score, p[1]!.failed, p[1]!.retried], ['degraded', 0.5, 45, 35]);
  t.equal(p[1]!.asr, 0.5, 'ASR over the trailing minute: 50 of 100');
  t.same(h.edgePoints(0).map((e) => e.failed), [0, 10], 'calls failed back to the IVR per step');
  t.equal(h.carrierPoints('nope', 0), undefined);
  t.same(h.carrierPoints('a', at(5))!.length, 1, 'since filters');
});

t.test('windows end now; a carrier removed by a reload leaves the history; capacity bounds it', async (t) => {
  const h = new HistoryRecorder({ read: async () => { throw new Error('unused'); } }, { stepMs: 1000, keepMs: 10_000 });
  for (let s = 0; s <= 100; s++) {
    h.record({ at: s * 1000, carriers: [carrier({ attempts: s * 10, answered: s * 9 }), carrier({ id: 'b' })].filter((c) => s < 50 || c.id === 'a'), edge: { answered: s, failed: s, cancelled: 0 } });
  }
  t.same(h.ids(), ['a'], 'b was removed');
  t.ok(h.carrierPoints('a', 0)!.length <= 11, `bounded to the keep window (${h.carrierPoints('a', 0)!.length} points)`);
  const w = h.carrierWindow(carrier({ attempts: 1010 + 30, answered: 909 + 30 }), 100_500 + 3000, 5000);
  t.same([w.attempts, w.answered], [60, 57], 'live counters minus the newest reading at least 5 s old (98 s)');
  t.equal(w.asr, 1, 'ASR over attempts that ended: 57 answered, none failed (3 still going)');
  const over = h.carrierWindow(carrier({ attempts: 1040, answered: 939 + 10 }), 103_500, 5000);
  t.ok(over.asr! <= 1, 'answers of attempts started before the window never push it over 1');
  const e = h.edgeWindow({ answered: 105, failed: 103, cancelled: 0 }, 103_000, 5000);
  t.same([e.failed, e.windowS], [5, 5]);
  const fresh = new HistoryRecorder({ read: async () => { throw new Error('down'); } });
  await fresh.sample(0);
  t.same(fresh.ids(), [], 'a failed read records nothing and does not throw');
  t.same(fresh.carrierWindow(carrier({ attempts: 5 }), 0, 5000).asr, null, 'nothing to compare yet');
});
