/** Per-source token buckets: rates, bursts, and a table whose size stays bounded under any spread of sources. */
import t from 'tap';
import { SourceRateLimiter, TokenBucket } from '../../src/engine/transport/rate-limit';

t.test('burst then refill at the configured rate', async (t) => {
  const l = new SourceRateLimiter(10, 5);
  let ok = 0;
  for (let i = 0; i < 20; i++) if (l.allow('a', 1000)) ok++;
  t.equal(ok, 5, 'the burst');
  t.notOk(l.allow('a', 1050), 'half a token is not enough');
  t.ok(l.allow('a', 1100), 'one token after 100 ms at 10/s');
  t.ok(l.allow('b', 1100), 'other sources are independent');
  t.notOk(l.allow('a', 900), 'time going backwards never adds tokens');
});

t.test('the table never exceeds maxSources; idle buckets are swept without loss', async (t) => {
  const l = new SourceRateLimiter(10, 10, 100, 'evict');
  for (let i = 0; i < 10_000; i++) l.allow(`s${i}`, 0);
  t.ok(l.size <= 100, `evict: ${l.size} entries after 10,000 sources`);
  for (let i = 0; i < 100; i++) l.allow(`q${i}`, 0);
  // 1 s later every bucket is full again (burst/rate = 1 s): sweeping them is lossless.
  t.ok(l.allow('new', 1000));
  t.ok(l.size <= 100);
});

t.test('deny mode: a full table of active sources refuses new ones (fail closed)', async (t) => {
  const l = new SourceRateLimiter(10, 10, 50, 'deny');
  for (let i = 0; i < 50; i++) t.ok(l.allow(`s${i}`, 0));
  t.notOk(l.allow('late', 10), 'no room while all are active');
  t.equal(l.size, 50);
  t.ok(l.allow('later', 2000), 'room again once the others went idle');
});

t.test('a global token bucket', async (t) => {
  const b = new TokenBucket(100, 100);
  let ok = 0;
  for (let i = 0; i < 500; i++) if (b.take(0)) ok++;
  t.equal(ok, 100);
  t.ok(b.take(10), '10 ms at 100/s → 1 token');
});
