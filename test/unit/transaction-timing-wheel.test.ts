/** Issue 11: the coarse wheel for long transaction timers — never early, at most one slot late, cancel, order, re-entrancy. */
import t from 'tap';
import { TimingWheel } from '../../src/engine/transaction/timing-wheel';

t.test('a timer fires in the first turn at or after its due time, never before', async (t) => {
  const fired: number[] = [];
  const w = new TimingWheel(100, 1_000);
  w.schedule(1_000, 32_000, () => fired.push(1));
  w.advance(32_999);
  t.same(fired, [], 'not early');
  w.advance(33_000);
  t.same(fired, [1], 'due time reached');
  t.equal(w.size, 0);
  const w2 = new TimingWheel(100, 1_050);
  w2.schedule(1_050, 32_000, () => fired.push(2)); // due 33,050 → slot ending 33,100
  w2.advance(33_099);
  t.same(fired, [1], 'not before the slot that contains the due time ends');
  w2.advance(33_100);
  t.same(fired, [1, 2], 'at most one resolution late');
});

t.test('cancelled timers do not fire; same-slot timers fire in start order; idle and busy are reported', async (t) => {
  const events: string[] = [];
  const w = new TimingWheel(100, 0, () => events.push('busy'), () => events.push('idle'));
  const a = w.schedule(0, 5_000, () => events.push('a'));
  w.schedule(0, 5_000, () => events.push('b'));
  w.schedule(10, 5_050, () => events.push('c'));
  a.cancel();
  a.cancel();
  t.equal(w.size, 2, 'a cancelled once');
  w.advance(6_000);
  t.same(events, ['busy', 'b', 'c', 'idle']);
});

t.test('a timer started by a firing timer is not lost, even when due at once', async (t) => {
  const fired: string[] = [];
  const w = new TimingWheel(100, 0);
  w.schedule(0, 4_000, () => {
    fired.push('first');
    w.schedule(4_000, 0, () => fired.push('immediate'));
    w.schedule(4_000, 4_000, () => fired.push('later'));
  });
  w.advance(4_000);
  t.same(fired, ['first'], 'a timer started in a turn runs in a later turn');
  w.advance(4_100);
  t.same(fired, ['first', 'immediate']);
  w.advance(8_100);
  t.same(fired, ['first', 'immediate', 'later']);
  t.equal(w.size, 0);
});

t.test('an exception from one timer does not stop the others in the turn; it is rethrown after', async (t) => {
  const fired: string[] = [];
  const w = new TimingWheel(100, 0);
  w.schedule(0, 5_000, () => {
    throw new Error('boom');
  });
  w.schedule(0, 5_000, () => fired.push('second'));
  t.throws(() => w.advance(5_000), /boom/);
  t.same(fired, ['second']);
  t.equal(w.size, 0);
});

t.test('after a long idle the wheel starts from the present', async (t) => {
  const fired: string[] = [];
  const w = new TimingWheel(100, 0);
  w.schedule(3_600_000, 4_000, () => fired.push('x'));
  w.advance(3_603_999);
  t.same(fired, []);
  w.advance(3_604_000);
  t.same(fired, ['x']);
});
