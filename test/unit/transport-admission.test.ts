/** Source admission (net.BlockList): CIDRs, addresses, host names, atomic replacement, cached verdicts. */
import t from 'tap';
import { SourceAdmission, AllowlistError, parseAllowEntry } from '../../src/engine/transport/admission';
import { silentLogger } from '../../src/engine/logger';

t.test('no allowlist: every source is admitted', async (t) => {
  const a = new SourceAdmission(silentLogger, undefined);
  t.notOk(a.enabled);
  t.ok(a.isAllowed('203.0.113.9'));
  t.equal(a.foreign, 'reject', 'default foreign action');
});

t.test('CIDRs and addresses, IPv4 and IPv6, dual-stack mapped addresses', async (t) => {
  const a = new SourceAdmission(silentLogger, { allow: ['10.1.0.0/16', '192.0.2.7', '2001:db8::/32', '[::1]'], foreign: 'drop' });
  t.teardown(() => a.stop());
  t.equal(a.foreign, 'drop');
  for (const ok of ['10.1.0.1', '10.1.255.255', '192.0.2.7', '2001:db8::42', '::1', '::ffff:10.1.2.3']) t.ok(a.isAllowed(ok), `${ok} allowed`);
  for (const no of ['10.2.0.1', '192.0.2.8', '2001:db9::1', '::2', 'not-an-ip', '']) t.notOk(a.isAllowed(no), `${no} foreign`);
  t.notOk(a.isAllowed('10.2.0.1'), 'cached verdict is the same');
});

t.test('replacement is atomic: an invalid entry throws E_ENGINE_ALLOWLIST_INVALID and the old list stays', async (t) => {
  const a = new SourceAdmission(silentLogger, { allow: ['127.0.0.1'] });
  t.teardown(() => a.stop());
  for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'fe80::/129', 'bad host!', '1.2.3.4/']) {
    const err = t.throws(() => a.set(['127.0.0.2', bad])) as AllowlistError;
    t.equal(err.code, 'E_ENGINE_ALLOWLIST_INVALID', bad);
  }
  t.ok(a.isAllowed('127.0.0.1'));
  t.notOk(a.isAllowed('127.0.0.2'));
  a.set(['127.0.0.2']);
  t.notOk(a.isAllowed('127.0.0.1'), 'cache cleared on replacement');
  t.ok(a.isAllowed('127.0.0.2'));
  a.set(undefined);
  t.ok(a.isAllowed('198.51.100.1'), 'undefined admits all again');
});

t.test('host names are resolved (localhost) and admitted once resolved', async (t) => {
  t.same(parseAllowEntry('Carrier.Example.COM.'), { kind: 'name', name: 'carrier.example.com' });
  const a = new SourceAdmission(silentLogger, { allow: ['localhost'] });
  t.teardown(() => a.stop());
  const end = Date.now() + 3000;
  while (!a.isAllowed('127.0.0.1') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.ok(a.isAllowed('127.0.0.1'), 'localhost → 127.0.0.1 admitted');
  t.notOk(a.isAllowed('10.0.0.1'));
});

t.test('a host name that does not resolve leaves its addresses foreign, and nothing throws', async (t) => {
  const a = new SourceAdmission(silentLogger, { allow: ['no-such-host.invalid', '10.0.0.0/8'] });
  t.teardown(() => a.stop());
  await new Promise((r) => setTimeout(r, 300));
  t.ok(a.isAllowed('10.0.0.1'));
  t.notOk(a.isAllowed('127.0.0.1'));
});
