/**
 * The adaptive no-provisional timer (src/call/no-provisional-timer.ts) and what feeds it: the
 * per-carrier response-time estimate (src/call/response-latency.ts) and the in-flight attempts
 * given up when their carrier goes down (src/call/in-flight.ts). Pure: no sockets, no clocks.
 */
import t from 'tap';
import fc from 'fast-check';
import { noProvisionalTimerMs, DEFAULT_FLOOR_MS, DEFAULT_RTT_FACTOR, type NoProvisionalPolicy } from '../../src/call/no-provisional-timer';
import { ResponseLatency } from '../../src/call/response-latency';
import { InFlightAttempts } from '../../src/call/in-flight';

const policy = fc.record({
  maxMs: fc.integer({ min: 100, max: 60_000 }),
  floorMs: fc.integer({ min: 50, max: 60_000 }),
  rttFactor: fc.double({ min: 1, max: 100, noNaN: true }),
});
const rtt = fc.double({ min: 0, max: 120_000, noNaN: true });

t.test('never above the configured maximum, never below the floor (unless the maximum is lower)', async () => {
  fc.assert(fc.property(policy, rtt, (p: NoProvisionalPolicy, r) => {
    const ms = noProvisionalTimerMs(r, p);
    return ms <= p.maxMs && ms >= Math.min(p.floorMs, p.maxMs);
  }));
});

t.test('monotonic in RTT: a slower carrier never gets a shorter timer', async () => {
  fc.assert(fc.property(policy, rtt, rtt, (p: NoProvisionalPolicy, a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return noProvisionalTimerMs(lo, p) <= noProvisionalTimerMs(hi, p);
  }));
});

t.test('unknown RTT: the configured maximum', async () => {
  fc.assert(fc.property(policy, fc.constantFrom(undefined, Number.NaN, -1, Number.POSITIVE_INFINITY), (p: NoProvisionalPolicy, r) => noProvisionalTimerMs(r, p) === p.maxMs));
});

t.test('the call\'s last attempt: always the configured maximum, whatever the RTT (no crank can follow)', async () => {
  fc.assert(fc.property(policy, fc.option(rtt, { nil: undefined }), (p: NoProvisionalPolicy, r) => noProvisionalTimerMs(r, p, true) === p.maxMs));
});

t.test('the defaults: loopback → the 400 ms floor, a 250 ms carrier → 1 s, a slow one → the maximum', async (t) => {
  const p = { maxMs: 2000, floorMs: DEFAULT_FLOOR_MS, rttFactor: DEFAULT_RTT_FACTOR };
  t.equal(noProvisionalTimerMs(0.3, p), 400);
  t.equal(noProvisionalTimerMs(250, p), 1000);
  t.equal(noProvisionalTimerMs(900, p), 2000);
  t.equal(noProvisionalTimerMs(0.3, { ...p, floorMs: 2000 }), 2000, 'floor = maximum: no adaptation');
});

t.test('response latency: smoothed, jitter raises it, a stale estimate is forgotten', async (t) => {
  const l = new ResponseLatency();
  t.equal(l.rttMs('a', 0), undefined, 'nothing measured');
  l.sample('a', 10, 0);
  t.equal(l.rttMs('a', 0), 15, 'first sample: mean 10 + deviation 5');
  for (let i = 1; i <= 50; i++) l.sample('a', 10, i);
  t.ok(l.rttMs('a', 50)! < 10.1, 'steady 10 ms converges to 10');
  l.sample('a', 200, 51);
  const after = l.rttMs('a', 51)!;
  t.ok(after > 60 && after < 200, `one slow answer moves it part way (${after.toFixed(1)} ms)`);
  t.equal(l.rttMs('b', 51), undefined, 'per carrier');
  t.equal(l.rttMs('a', 51 + 300_001), undefined, 'forgotten after 5 minutes without a sample');
  l.sample('a', -1, 52);
  l.sample('a', Number.NaN, 52);
  t.equal(l.rttMs('a', 52), after, 'nonsense samples are ignored');
});

t.test('in flight: a carrier going down gives up only its attempts that heard nothing; ended attempts leave', async (t) => {
  const f = new InFlightAttempts();
  const gaveUp: string[] = [];
  const attempt = (name: string, heard: boolean) => ({ carrierDown: () => (heard ? false : (gaveUp.push(name), true)) });
  const endA1 = f.add('a', attempt('a1', false));
  f.add('a', attempt('a2-ringing', true));
  f.add('b', attempt('b1', false));
  t.equal(f.size, 3);
  t.equal(f.carrierDown('a'), 1, 'one attempt given up');
  t.same(gaveUp, ['a1'], 'the ringing one and the other carrier\'s are left alone');
  endA1();
  t.equal(f.size, 2);
  t.equal(f.carrierDown('c'), 0, 'a carrier with nothing in flight');
});
