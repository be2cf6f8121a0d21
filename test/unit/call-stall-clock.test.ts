import t from 'tap';
import { StallClock } from '../../src/call/stall-clock';

t.test('gaps in the heartbeat are stalls; overlap with an interval is measured', async (t) => {
  const c = new StallClock(200);
  c.beat(Date.now()); // resets `last` close to now
  const base = Date.now();
  c.beat(base + 50);
  c.beat(base + 100);
  c.beat(base + 1600); // 1.5 s without a beat
  c.beat(base + 1650);
  t.equal(c.stalledWithin(base, base + 100), 0, 'nothing before the stall');
  t.equal(c.stalledWithin(base, base + 2000), 1450, 'the stall: 1,500 ms gap minus one beat');
  t.equal(c.stalledWithin(base + 1000, base + 1200), 200, 'partial overlap');
  c.beat(base + 1900); // 250 ms gap: within tolerance of 200 + one beat
  t.equal(c.stalledWithin(base + 1650, base + 1900), 0, 'a short gap is not a stall');
});
