import t from 'tap';
import { LATCH_FOREIGN, LATCH_NEW, LATCH_SAME, SourceLatch } from '../../src/media/relay/latch';

t.test('first source latches; the same source is accepted; others are foreign', async (t) => {
  const l = new SourceLatch(1000);
  t.equal(l.accept('10.0.0.1', 4000, 0), LATCH_NEW);
  t.equal(l.accept('10.0.0.1', 4000, 20), LATCH_SAME);
  t.equal(l.accept('10.0.0.1', 4002, 40), LATCH_FOREIGN, 'other port');
  t.equal(l.accept('10.0.0.2', 4000, 60), LATCH_FOREIGN, 'other address');
});

t.test('re-latch only after the old source is silent 1 s and the new one sent steadily for 1 s', async (t) => {
  const l = new SourceLatch(1000);
  l.accept('10.0.0.1', 4000, 0);
  // Old source stops at t=0; the new one sends every 20 ms from t=100.
  let result = LATCH_FOREIGN;
  let at = 100;
  for (; at <= 3000 && result === LATCH_FOREIGN; at += 20) result = l.accept('10.0.0.9', 5000, at);
  t.equal(result, LATCH_NEW);
  t.ok(at - 20 >= 1100 && at - 20 <= 1120, `re-latched at ${at - 20} ms`);
  t.equal(l.address, '10.0.0.9');
  t.equal(l.relatches, 1);
});

t.test('no re-latch while the latched source still sends (injection is dropped)', async (t) => {
  const l = new SourceLatch(1000);
  l.accept('10.0.0.1', 4000, 0);
  for (let at = 10; at < 5000; at += 20) {
    t.equal(l.accept('10.0.0.1', 4000, at), LATCH_SAME);
    if (l.accept('6.6.6.6', 666, at + 5) !== LATCH_FOREIGN) t.fail(`hijacked at ${at}`);
  }
  t.equal(l.address, '10.0.0.1');
});

t.test('a sporadic new source (gaps ≥ 1 s) never re-latches; reset() latches afresh', async (t) => {
  const l = new SourceLatch(1000);
  l.accept('10.0.0.1', 4000, 0);
  for (let at = 2000; at < 20000; at += 1500) t.equal(l.accept('10.0.0.9', 5000, at), LATCH_FOREIGN);
  l.reset();
  t.equal(l.accept('10.0.0.9', 5000, 20000), LATCH_NEW);
});
