import t from 'tap';
import { Admission } from '../../src/admission/admission';

t.test('only allowlisted sources are admitted', async (t) => {
  const a = new Admission({ allow: ['10.1.0.0/16', '2001:db8::/32'], maxCps: 100, maxCpsPerSource: 100 });
  t.same(a.check('10.1.2.3', 0), { ok: true });
  t.same(a.check('2001:db8::5', 0), { ok: true });
  t.same(a.check('10.2.0.1', 0), { ok: false, status: 403, reason: 'source-forbidden' });
  t.same(a.check('not-an-ip', 0), { ok: false, status: 403, reason: 'source-forbidden' });
});

t.test('per-source and global CPS limits answer 503 with Retry-After', async (t) => {
  const a = new Admission({ allow: ['127.0.0.0/8'], maxCps: 5, maxCpsPerSource: 3 });
  for (let i = 0; i < 3; i++) t.equal(a.check('127.0.0.1', 100).ok, true);
  t.same(a.check('127.0.0.1', 100), { ok: false, status: 503, reason: 'cps-limit', retryAfter: 1 });
  t.equal(a.check('127.0.0.2', 100).ok, true);
  t.equal(a.check('127.0.0.2', 100).ok, true);
  t.equal(a.check('127.0.0.3', 100).ok, false, 'global limit of 5 reached');
  t.equal(a.check('127.0.0.1', 1100).ok, true, 'the window slides after a second');
  t.equal(a.cps(1100), 1);
});

t.test('a bad CIDR is a clear startup error', async (t) => {
  t.throws(() => new Admission({ allow: ['10.0.0.0/99'], maxCps: 1, maxCpsPerSource: 1 }), /TRUNKWISE_ALLOW: "10.0.0.0\/99" is not a CIDR/);
});
