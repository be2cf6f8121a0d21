/** TCP connection caps and the idle rule (slowloris), as pure bookkeeping. */
import t from 'tap';
import { ConnectionCaps, isIdle, sweepInterval } from '../../src/engine/transport/tcp-limits';
import { DEFAULT_LIMITS, invalidLimit } from '../../src/engine/transport/limits';

t.test('per-source and global caps; release frees a slot', async (t) => {
  const c = new ConnectionCaps(5);
  t.equal(c.admit('a', 0, 2), 'ok');
  t.equal(c.admit('a', 1, 2), 'ok');
  t.equal(c.admit('a', 2, 2), 'cap', 'third from one source');
  t.equal(c.admit('b', 2, 0), 'foreign', 'cap 0 = not admitted');
  t.equal(c.admit('b', 5, 10), 'cap', 'global cap');
  c.release('a');
  t.equal(c.countFor('a'), 1);
  t.equal(c.admit('a', 2, 2), 'ok');
  c.release('a');
  c.release('a');
  t.equal(c.countFor('a'), 0, 'entry removed at 0 (bounded table)');
  t.ok(c.roomFor(4));
  t.notOk(c.roomFor(5));
});

t.test('idle: no complete message for the timeout; sweep interval bounded', async (t) => {
  t.notOk(isIdle(1000, 60_999, 60_000));
  t.ok(isIdle(1000, 61_000, 60_000));
  t.equal(sweepInterval(60_000), 1000);
  t.equal(sweepInterval(400), 100);
  t.equal(sweepInterval(10), 50);
});

t.test('defaults: 60 s idle, 64 KiB pending, foreign sources tight', async (t) => {
  t.equal(DEFAULT_LIMITS.tcpIdleTimeoutMs, 60_000);
  t.equal(DEFAULT_LIMITS.tcpMaxPendingBytes, 65_536);
  t.ok(DEFAULT_LIMITS.foreignRate < DEFAULT_LIMITS.perSourceRate / 100);
  t.ok(DEFAULT_LIMITS.tcpMaxConnectionsPerForeignSource < DEFAULT_LIMITS.tcpMaxConnectionsPerSource);
  t.equal(invalidLimit({ ...DEFAULT_LIMITS }), undefined);
  t.match(invalidLimit({ ...DEFAULT_LIMITS, perSourceRate: 0 }), /perSourceRate/);
  t.match(invalidLimit({ ...DEFAULT_LIMITS, tcpIdleTimeoutMs: Number.NaN }), /tcpIdleTimeoutMs/);
});
