import t from 'tap';
import { computeScore, signalHealth } from '../../src/health/score';
import { HEALTH_DEFAULTS } from '../../src/config/health';
import { ProbeWindow } from '../../src/health/probe-window';
import { CallWindow } from '../../src/health/call-window';
import { MediaWindow } from '../../src/health/media-window';
import { judgeLocalFault } from '../../src/health/local-fault';
import { verdictFor } from '../../src/health/verdict';

const noCalls = { samples: 0, failures: 0, pddSamples: 0, pddMedianMs: undefined, responded: 0, late: 0 };
const noProbes = { samples: 0, lost: 0, late: 0, rttMs: undefined, jitterMs: undefined };
const noMedia = { expected: 0, lost: 0, streams: 0 };
type Src = Parameters<typeof computeScore>[0];
const src = (over: Partial<Src>): Src => ({ probes: noProbes, calls: noCalls, media: noMedia, mediaMinPackets: 250, ...over });

t.test('signalHealth: linear between good and bad, clamped, either direction', async (t) => {
  t.equal(signalHealth(0.02, 0.02, 0.1), 1);
  t.equal(signalHealth(0, 0.02, 0.1), 1);
  t.ok(Math.abs(signalHealth(0.06, 0.02, 0.1) - 0.5) < 1e-9);
  t.equal(signalHealth(0.5, 0.02, 0.1), 0);
  t.ok(Math.abs(signalHealth(575, 150, 1000) - 0.5) < 1e-9, 'ms signals');
  t.equal(signalHealth(5, 10, 0), 0.5, 'higher-is-better signals work too');
});

t.test('no data: score 1, every signal listed as unscored with why', async (t) => {
  const s = computeScore(src({}), HEALTH_DEFAULTS);
  t.equal(s.score, 1);
  t.equal(s.readings.length, 0);
  t.same(s.unscored.map((u) => u.name), ['probeLoss', 'probeLate', 'rtt', 'callFailure', 'callLate', 'pdd', 'mediaLoss']);
});

t.test('score = product of factors; each reading explains its contribution', async (t) => {
  const probes = { samples: 60, lost: 0, late: 6, rttMs: 20, jitterMs: 2 };
  const s = computeScore(src({ probes }), HEALTH_DEFAULTS);
  const late = s.readings.find((r) => r.name === 'probeLate')!;
  t.equal(late.value, 0.1);
  t.equal(late.health, 0, '10 % late probes = the default bad threshold');
  t.equal(late.factor, 0);
  t.equal(s.score, 0);
  const half = computeScore(src({ probes: { ...probes, late: 3, rttMs: 575 } }), HEALTH_DEFAULTS);
  const f = Object.fromEntries(half.readings.map((r) => [r.name, r.factor]));
  t.ok(Math.abs(f.probeLate! - (1 - (0.05 - 0.02) / 0.08)) < 1e-9);
  t.ok(Math.abs(f.rtt! - 0.75) < 1e-9, 'rtt weight 0.5 at half health takes a quarter off');
  t.ok(Math.abs(half.score - f.probeLate! * f.rtt! * f.probeLoss!) < 1e-12);
});

t.test('call failures need minSamples attempts before they count', async (t) => {
  const few = computeScore(src({ calls: { samples: 4, failures: 4, pddSamples: 0, pddMedianMs: undefined, responded: 0, late: 0 } }), HEALTH_DEFAULTS);
  t.equal(few.score, 1);
  const many = computeScore(src({ calls: { samples: 20, failures: 20, pddSamples: 0, pddMedianMs: undefined, responded: 0, late: 0 } }), HEALTH_DEFAULTS);
  t.equal(many.score, 0);
});

t.test('media loss: scored once enough RTP is expected; 3 % loss between good (1 %) and bad (5 %)', async (t) => {
  t.equal(computeScore(src({ media: { expected: 200, lost: 100, streams: 1 } }), HEALTH_DEFAULTS).score, 1, 'too few packets');
  const s = computeScore(src({ media: { expected: 10_000, lost: 300, streams: 20 } }), HEALTH_DEFAULTS);
  const m = s.readings.find((r) => r.name === 'mediaLoss')!;
  t.equal(m.value, 0.03);
  t.ok(Math.abs(m.health - 0.5) < 1e-9);
  t.ok(Math.abs(s.score - 0.5) < 1e-9);
});

t.test('callLate: INVITEs first answered after T1 (retransmitted) — 10 % is the default bad threshold', async (t) => {
  const calls = { samples: 100, failures: 0, pddSamples: 100, pddMedianMs: 20, responded: 100, late: 10 };
  const s = computeScore(src({ calls }), HEALTH_DEFAULTS);
  const late = s.readings.find((r) => r.name === 'callLate')!;
  t.equal(late.value, 0.1);
  t.equal(late.factor, 0);
  t.equal(computeScore(src({ calls: { ...calls, late: 1 } }), HEALTH_DEFAULTS).score, 1, '1 % late: healthy');
});

t.test('MediaWindow: Σlost/Σexpected over the window, samples age out, streams counted', async (t) => {
  const w = new MediaWindow(10_000);
  w.add('call-1', 100, 10, 0);
  w.add('call-2', 100, 0, 1000);
  w.add('call-1', 0, 0, 2000);
  t.same(w.summary(5000), { expected: 200, lost: 10, streams: 2 });
  w.add('call-2', 100, 200, 10_500);
  t.same(w.summary(10_600), { expected: 200, lost: 100, streams: 1 }, 'first sample aged out; lost clamped to expected');
});

t.test('ProbeWindow: ring of the last N, lost and late counted, RTT smoothed', async (t) => {
  const w = new ProbeWindow(10);
  for (let i = 0; i < 20; i++) w.add({ kind: 'alive', at: i, rttMs: 10 });
  w.add({ kind: 'lost', at: 21 });
  w.add({ kind: 'alive', at: 22, rttMs: 600 });
  const s = w.summary(500);
  t.equal(s.samples, 10);
  t.equal(s.lost, 1);
  t.equal(s.late, 1);
  t.ok(s.rttMs! > 10 && s.rttMs! < 600, `EWMA moved but not all the way (${s.rttMs})`);
});

t.test('CallWindow: sliding window, ignored attempts, median PDD, silence since the last response', async (t) => {
  const w = new CallWindow(10_000);
  const a = w.started(0);
  const b = w.started(100);
  t.same(w.silence(700), { count: 2, oldestMs: 700 });
  w.responded();
  t.same(w.silence(800), { count: 0, oldestMs: 0 });
  w.finished(a, 'failure', undefined, 1000);
  w.finished(b, 'ok', 300, 1100);
  const c = w.started(1200);
  w.finished(c, 'ignored', undefined, 1300);
  for (let i = 0; i < 3; i++) w.finished(w.started(2000), 'ok', 100 * (i + 1), 2000);
  t.same(w.summary(2000), { samples: 5, failures: 1, pddSamples: 4, pddMedianMs: 300, responded: 0, late: 0 });
  t.same(w.summary(11_050), { samples: 4, failures: 0, pddSamples: 4, pddMedianMs: 300, responded: 0, late: 0 }, 'the failure at t=1000 aged out');
  for (let i = 0; i < 10; i++) w.finished(w.started(11_000), 'ok', 50, 11_100, i === 0 ? 520 : 5);
  t.match(w.summary(11_200, 500), { responded: 10, late: 1 }, 'first responses after T1 counted as late');
});

t.test('local fault: most in-service carriers sick at once; drained ones do not count; needs 3+', async (t) => {
  const look = (sick: boolean[], counted = sick.map(() => true)) => sick.map((s, i) => ({ id: `c${i}`, sick: s, counted: counted[i]! }));
  t.equal(judgeLocalFault(look([true, true, true, false, false]), 0.6).fault, true);
  t.equal(judgeLocalFault(look([true, true, false, false, false]), 0.6).fault, false);
  t.equal(judgeLocalFault(look([true, true, true, false, false], [true, true, true, false, false]), 0.6).fault, true, '3 of 3 counted');
  t.equal(judgeLocalFault(look([true, true]), 0.6).fault, false, 'two carriers cannot tell');
});

t.test('verdict: carrier faults vs callee choices vs nothing learned', async (t) => {
  t.equal(verdictFor({ kind: 'answered' }), 'ok');
  t.equal(verdictFor({ kind: 'response', status: 503 }), 'failure');
  t.equal(verdictFor({ kind: 'response', status: 408 }), 'failure');
  t.equal(verdictFor({ kind: 'response', status: 486 }), 'ok');
  t.equal(verdictFor({ kind: 'response', status: 603 }), 'ok');
  t.equal(verdictFor({ kind: 'timeout', phase: 'no-provisional' }), 'failure');
  t.equal(verdictFor({ kind: 'timeout', phase: 'no-answer' }), 'ignored');
  t.equal(verdictFor({ kind: 'transport-error' }), 'failure');
  t.equal(verdictFor({ kind: 'cancelled' }), 'ignored');
});
