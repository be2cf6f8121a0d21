/**
 * The outage lab's per-phase numbers (src/drills/lab/analysis.ts) from hand-made observations:
 * calls lost per phase, where calls went, when they left site A and came back, extra setup delay.
 */
import t from 'tap';
import { analysePhases, flapping, percentile, type LabPhase } from '../../src/drills/lab/analysis';

const phases: LabPhase[] = [
  { name: 'clean', loss: 0, startMs: 0, endMs: 10_000 },
  { name: 'loss 30 %', loss: 0.3, startMs: 10_000, endMs: 22_000 },
  { name: 'recovered', loss: 0, startMs: 22_000, endMs: 40_000 },
];
const every = (from: number, to: number, step: number): number[] => Array.from({ length: Math.floor((to - from) / step) }, (_, i) => from + i * step);

t.test('calls, departure, return, lost calls and extra setup delay per phase', async (t) => {
  const r = analysePhases(phases, {
    // A takes everything until 13.5 s into the run, B from then until A returns at 26 s.
    siteCalls: { a: [...every(0, 13_500, 100), ...every(26_000, 40_000, 100)], b: every(13_500, 26_000, 100) },
    setups: [...every(0, 10_000, 100).map((x) => [x, 10] as const), [11_000, 1010], ...every(12_000, 22_000, 500).map((x) => [x, 12] as const)],
    failures: [[15_000, 2], [30_000, 1]],
    dispatcherA: [[14_000, 'down'], [25_500, 'up']],
    upstreamA: [[12_500, 'localFault'], [23_000, 'ok']],
    dispatcherTimeoutsA: [11_800, 12_100, 30_000],
  });
  t.match(r[0], { name: 'clean', callsLost: 0, callsToA: 100, callsToB: 0, tailShareA: 1, setupP50Ms: 10, extraSetupP99Ms: 0 });
  t.notOk('leftAAfterMs' in r[0]!, 'a clean phase has no departure');
  t.match(r[1], { callsLost: 2, callsToA: 35, tailShareA: 0, leftAAfterMs: 3400, dispatcherDowns: 1, upstreamTo503: 1, upstreamTo200: 0, unavailableAfterMs: 2500, dispatcherDownAfterMs: 4000, dispatcherTimeoutMarks: 2 });
  t.equal(r[1]!.setupP99Ms, 1010, 'p99 catches the slow call');
  t.equal(r[1]!.extraSetupP99Ms, 1000, 'extra = p99 − the clean phase median');
  t.match(r[2], { callsLost: 1, backToAAfterMs: 4000, tailShareA: 1, dispatcherUps: 1, upstreamTo503: 0, upstreamTo200: 1 });
  t.notOk('unavailableAfterMs' in r[2]!);
  t.same(flapping(r), [], 'one change each way: no flapping');
});

t.test('flapping: more than one change either way in a phase, of A\'s answer or the dispatcher\'s view', async (t) => {
  const base = { siteCalls: { a: [], b: [] }, setups: [], failures: [], dispatcherTimeoutsA: [] };
  const r = analysePhases(phases, {
    ...base,
    // The old 5 % pattern: 503, 200, 503 (a cause change localFault → noCarrier is no new 503), 200, 503.
    upstreamA: [[11_000, 'localFault'], [12_000, 'ok'], [13_000, 'localFault'], [14_000, 'noCarrier'], [15_000, 'ok'], [16_000, 'localFault']],
    dispatcherA: [[11_500, 'down'], [12_500, 'up'], [17_000, 'down'], [18_000, 'up'], [19_000, 'down']],
  });
  t.match(r[1], { upstreamTo503: 3, upstreamTo200: 2, dispatcherDowns: 3, dispatcherUps: 2, unavailableAfterMs: 1000, dispatcherDownAfterMs: 1500 });
  t.same(flapping(r), ['loss 30 %: site A\'s answer went 503 3× and 200 2×; the dispatcher brought A back 2× (and marked it down 3×)']);
  const blip = analysePhases(phases, { ...base, upstreamA: [[11_700, 'localFault']], dispatcherA: [[11_000, 'down'], [12_000, 'up'], [12_500, 'down']] });
  t.same(flapping(blip), [], 'an INVITE timeout\'s down, a stale 200\'s up, then the 503\'s down: brought back once, no flap');
  const held = analysePhases(phases, { ...base, upstreamA: [[5000, 'localFault'], [12_000, 'noCarrier'], [30_000, 'ok']], dispatcherA: [] });
  t.match(held.map((p) => [p.upstreamTo503, p.upstreamTo200]), [[1, 0], [0, 0], [0, 1]], 'a 503 carried over from the phase before is no change');
});

t.test('site A never left: no departure time', async (t) => {
  const r = analysePhases(phases, { siteCalls: { a: every(0, 40_000, 100), b: [] }, setups: [], failures: [], dispatcherA: [], upstreamA: [], dispatcherTimeoutsA: [] });
  t.notOk('leftAAfterMs' in r[1]!);
  t.equal(r[1]!.tailShareA, 1);
});

t.test('percentile', async (t) => {
  t.equal(percentile([], 99), 0);
  t.equal(percentile([5, 1, 3], 50), 3);
  t.equal(percentile([1, 2, 3, 4, 100], 99), 100);
});
