import t from 'tap';
import { HealthMachine, NO_PROBE_RETRY_MS } from '../../src/health/state-machine';
import { HEALTH_DEFAULTS } from '../../src/config/health';
import type { HealthConfig } from '../../src/config/types';

const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({ ...HEALTH_DEFAULTS, ...over });
const EV = { guard: false, probesEnabled: true };

t.test('active → degraded only after degradeAfter low evaluations; back only after recoverAfter high ones', async (t) => {
  const m = new HealthMachine(cfg({ degradeAfter: 3, recoverAfter: 4 }), 0);
  t.equal(m.evaluate(1000, 0.5, EV), undefined);
  t.equal(m.evaluate(2000, 0.5, EV), undefined);
  t.equal(m.evaluate(3000, 0.9, EV), undefined, 'a good evaluation resets the count');
  t.equal(m.evaluate(4000, 0.5, EV), undefined);
  t.equal(m.evaluate(5000, 0.5, EV), undefined);
  t.match(m.evaluate(6000, 0.5, EV), { from: 'active', to: 'degraded' });
  // In the hysteresis gap (between degradedBelow 0.7 and recoverAbove 0.85) nothing changes.
  for (let i = 0; i < 10; i++) t.equal(m.evaluate(7000 + i * 1000, 0.8, EV), undefined);
  for (let i = 0; i < 3; i++) t.equal(m.evaluate(20_000 + i * 1000, 0.9, EV), undefined);
  t.match(m.evaluate(24_000, 0.9, EV), { from: 'degraded', to: 'active' });
  t.equal(m.rampFactor(24_000), 1, 'degraded → active is not a recovery from down: no ramp');
});

t.test('hard failures: downAfter in a row → down; a success in between resets', async (t) => {
  const m = new HealthMachine(cfg({ downAfter: 3 }), 0);
  t.equal(m.hardFailure(1, 'x'), undefined);
  t.equal(m.hardFailure(2, 'x'), undefined);
  m.hardSuccess();
  t.equal(m.hardFailure(3, 'x'), undefined);
  t.equal(m.hardFailure(4, 'x'), undefined);
  t.match(m.hardFailure(5, 'probe'), { to: 'down', reason: /3 consecutive hard failures/ });
  t.equal(m.hardFailure(6, 'x'), undefined, 'already down');
});

t.test('silence takes a carrier down at once; recovery needs upAfter good rounds, then ramps', async (t) => {
  const m = new HealthMachine(cfg({ upAfter: 3, rampMs: 10_000, rampStart: 0.1 }), 0);
  t.match(m.silent(100, 'quiet'), { from: 'active', to: 'down', reason: 'quiet' });
  t.match(m.probeRound(1000, true), { to: 'probing' });
  t.equal(m.probeRound(2000, true), undefined);
  t.match(m.probeRound(3000, true), { from: 'probing', to: 'active', reason: /3 consecutive good probe rounds/ });
  t.equal(m.rampFactor(3000), 0.1);
  t.ok(Math.abs(m.rampFactor(8000) - 0.55) < 1e-9, 'half way through the ramp');
  t.equal(m.rampFactor(13_000), 1);
});

t.test('a bad round while probing → back to down; evaluations never move a down carrier', async (t) => {
  const m = new HealthMachine(cfg(), 0);
  m.silent(0, 'quiet');
  m.probeRound(1000, true);
  t.equal(m.state, 'probing');
  t.match(m.probeRound(2000, false), { from: 'probing', to: 'down' });
  t.equal(m.evaluate(3000, 1, EV), undefined);
  t.equal(m.state, 'down');
});

t.test('flap damping: repeated downs double the good rounds needed, up to maxFlapFactor', async (t) => {
  const m = new HealthMachine(cfg({ upAfter: 2, flapWindowMs: 60_000, maxFlapFactor: 4 }), 0);
  const cycle = (start: number): number => {
    m.silent(start, 'flap');
    let rounds = 0;
    let now = start;
    while (m.state !== 'active' && rounds < 100) {
      now += 1000;
      m.probeRound(now, true);
      rounds++;
    }
    return rounds;
  };
  t.equal(cycle(0), 2, 'first down: upAfter');
  t.equal(cycle(5000), 4, 'second down within the window: ×2');
  t.equal(cycle(12_000), 8, 'third: ×4');
  t.equal(cycle(25_000), 8, 'capped at maxFlapFactor');
  t.equal(m.flapFactor(25_000 + 200_000), 1, 'flaps age out of the window');
});

t.test('score under downBelow → down, except while the local-fault guard is on', async (t) => {
  const m = new HealthMachine(cfg({ degradeAfter: 2 }), 0);
  m.evaluate(1000, 0.05, { ...EV, guard: true });
  t.match(m.evaluate(2000, 0.05, { ...EV, guard: true }), { to: 'degraded' }, 'guarded: degraded, not down');
  m.evaluate(3000, 0.05, EV);
  t.match(m.evaluate(4000, 0.05, EV), { from: 'degraded', to: 'down', reason: /under downBelow/ });
});

t.test('down hold time: good rounds before downHoldMs do not start probing', async (t) => {
  const m = new HealthMachine(cfg({ downHoldMs: 5000 }), 0);
  m.silent(0, 'quiet');
  t.equal(m.probeRound(1000, true), undefined);
  t.equal(m.probeRound(4999, true), undefined);
  t.match(m.probeRound(5000, true), { to: 'probing' });
});

t.test('without probes a down carrier is retried after the hold, ramping', async (t) => {
  const m = new HealthMachine(cfg(), 0);
  m.silent(0, 'quiet');
  const noProbes = { guard: false, probesEnabled: false };
  t.equal(m.evaluate(NO_PROBE_RETRY_MS - 1, 1, noProbes), undefined);
  t.match(m.evaluate(NO_PROBE_RETRY_MS, 1, noProbes), { to: 'active', reason: /no probes/ });
  t.ok(m.rampFactor(NO_PROBE_RETRY_MS) < 1);
});
