/**
 * The media hold (issue 13): a carrier that left service for media loss needs a clean synthetic media
 * probe before OPTIONS rounds or a recovered score can bring it back — the flap seen in the lab
 * (down for media, back on OPTIONS alone, ramps, loses media, down again).
 */
import t from 'tap';
import { HEALTH_DEFAULTS } from '../../src/config/health';
import type { HealthConfig } from '../../src/config/types';
import { HealthMachine } from '../../src/health/state-machine';
import { MediaProbeGate, type MediaProbeOutcome } from '../../src/health/media-probe';
import { HealthMonitor } from '../../src/health/monitor';
import { createMetrics } from '../../src/observability/metrics';
import { createLogger } from '../../src/observability/logger';

const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({ ...HEALTH_DEFAULTS, ...over });
const answered = (expected: number, lost: number): MediaProbeOutcome => ({ kind: 'answered', at: 0, setupMs: 40, expected, lost, jitterMs: 1 });

t.test('gate: held only when media was part of the reason; released only by a clean probe of enough packets', async (t) => {
  const g = new MediaProbeGate(0.01, 100);
  g.leftService(undefined, 'went down');
  t.notOk(g.held, 'mediaLoss not scored: no hold (down for silence, say)');
  g.leftService(0.005, 'went down');
  t.notOk(g.held, 'media within good: no hold');
  g.leftService(0.1, 'went down');
  t.ok(g.held, 'media loss 10 %: held');
  t.match(g.view().heldBecause, /media loss 10\.0 %/);
  t.notOk(g.add(answered(150, 15)), 'a lossy probe keeps the hold');
  t.notOk(g.add(answered(40, 0)), 'a clean probe too short to judge keeps it');
  t.notOk(g.add({ kind: 'failed', at: 0, status: 503, reason: '503' }), 'a failed set-up keeps it');
  t.ok(g.held);
  t.ok(g.add(answered(150, 1)), 'a clean probe (0.7 %) releases it');
  t.notOk(g.held);
  t.equal(g.view().probes, 4);
});

t.test('state machine: probing → active and degraded → active wait while held', async (t) => {
  const m = new HealthMachine(cfg({ upAfter: 3, recoverAfter: 2, degradeAfter: 1 }), 0);
  m.hardFailure(1, 'x');
  m.hardFailure(2, 'x');
  t.equal(m.hardFailure(3, 'x')?.to, 'down');
  t.equal(m.probeRound(10, true, true)?.to, 'probing');
  for (let i = 11; i < 20; i++) t.equal(m.probeRound(i, true, true), undefined, `round ${i}: held, stays probing`);
  t.equal(m.probeRound(20, true, false)?.to, 'active', 'hold released: the next good round recovers');
  const d = new HealthMachine(cfg({ degradeAfter: 1, recoverAfter: 2 }), 0);
  t.equal(d.evaluate(1, 0.5, { guard: false, probesEnabled: true })?.to, 'degraded');
  for (let i = 2; i < 8; i++) t.equal(d.evaluate(i, 1, { guard: false, probesEnabled: true, hold: true }), undefined, `eval ${i}: held, stays degraded`);
  t.equal(d.evaluate(8, 1, { guard: false, probesEnabled: true })?.to, 'active');
  const n = new HealthMachine(cfg(), 0);
  n.silent(1, 'silence');
  t.equal(n.evaluate(120_000, 1, { guard: false, probesEnabled: false, hold: true }), undefined, 'no-probe retry waits too');
  t.equal(n.evaluate(120_000, 1, { guard: false, probesEnabled: false })?.to, 'active');
});

t.test('monitor: down for media loss with probes → held; OPTIONS rounds alone do not bring it back; a clean probe does', async (t) => {
  const health = cfg({ mediaMinPackets: 100, degradeAfter: 1, upAfter: 2, evaluateMs: 1000 });
  const view = { health, carriers: ['a', 'b', 'c'].map((id) => ({ id, probe: { enabled: true }, ...(id === 'a' && { mediaProbe: {} }) })) };
  const mon = new HealthMonitor(view, { logger: createLogger({ level: 'silent' }), metrics: createMetrics(), operatorInService: () => true }, 0);
  mon.mediaSample('a', 'probe-1', 150, 15, 500);
  mon.evaluate(1000);
  t.equal(mon.snapshot('a', 1000)?.state, 'down', 'score 0 for 10 % media loss → down');
  const v = mon.view('a', 1000) as { mediaProbe: { held: boolean } };
  t.ok(v.mediaProbe.held, 'held');
  for (let i = 2; i < 10; i++) mon.probeRound('a', true, i * 1000);
  t.equal(mon.snapshot('a', 10_000)?.state, 'probing', 'eight good OPTIONS rounds: still probing');
  mon.mediaProbeResult('a', answered(150, 0));
  mon.probeRound('a', true, 11_000);
  t.equal(mon.snapshot('a', 11_000)?.state, 'active', 'after a clean probe call, the next good round recovers it');
  mon.mediaSample('b', 'call-1', 150, 15, 12_000);
  mon.evaluate(13_000);
  t.equal(mon.snapshot('b', 13_000)?.state, 'down');
  mon.probeRound('b', true, 14_000);
  mon.probeRound('b', true, 15_000);
  t.equal(mon.snapshot('b', 15_000)?.state, 'active', 'a carrier without media probes comes back on OPTIONS alone (as before)');
  mon.mediaProbeResult('a', { kind: 'failed', at: 16_000, status: 503, reason: '503' });
  mon.mediaProbeResult('a', { kind: 'failed', at: 16_001, status: 503, reason: '503' });
  mon.mediaProbeResult('a', { kind: 'failed', at: 16_002, status: 503, reason: '503' });
  t.equal(mon.snapshot('a', 16_002)?.state, 'down', 'failed probe set-ups count as hard failures (downAfter 3)');
  mon.stop();
});
