import t from 'tap';
import { parseIp, parseCidr, cidrContains } from '../../src/routing/ip';
import { parseSource } from '../../src/routing/compile';
import { rewriteUser, carrierRequestUri } from '../../src/routing/rewrite';

const inCidr = (c: string, a: string): boolean => {
  const r = parseCidr(c);
  const ip = parseIp(a);
  if (!r.ok || !ip) throw new Error(`bad input ${c} ${a}`);
  return cidrContains(r.cidr, ip);
};

t.test('IPv4 parsing', async (t) => {
  t.same(parseIp('192.0.2.1'), { family: 4, words: [0, 0, 0, 0xc0000201] });
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '', 'a.b.c.d']) t.equal(parseIp(bad), undefined, bad);
});

t.test('IPv6 parsing: compression, embedded IPv4, brackets, zone, mapped', async (t) => {
  t.same(parseIp('2001:db8::1'), { family: 6, words: [0x20010db8, 0, 0, 1] });
  t.same(parseIp('[::1]'), { family: 6, words: [0, 0, 0, 1] });
  t.same(parseIp('fe80::1%eth0'), { family: 6, words: [0xfe800000, 0, 0, 1] });
  t.same(parseIp('::ffff:192.0.2.1'), { family: 4, words: [0, 0, 0, 0xc0000201] });
  t.same(parseIp('64:ff9b::192.0.2.1'), { family: 6, words: [0x0064ff9b, 0, 0, 0xc0000201] });
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1']) t.equal(parseIp(bad), undefined, bad);
});

t.test('CIDR containment', async (t) => {
  t.ok(inCidr('10.0.0.0/8', '10.255.1.2'));
  t.notOk(inCidr('10.0.0.0/8', '11.0.0.1'));
  t.ok(inCidr('0.0.0.0/0', '203.0.113.9'));
  t.ok(inCidr('192.0.2.7', '192.0.2.7'));
  t.notOk(inCidr('192.0.2.7', '192.0.2.8'));
  t.ok(inCidr('2001:db8::/32', '2001:db8:ffff::1'));
  t.notOk(inCidr('2001:db8::/32', '2001:db9::1'));
  t.ok(inCidr('2001:db8:0:8000::/49', '2001:db8:0:ffff::1'));
  t.notOk(inCidr('2001:db8:0:8000::/49', '2001:db8:0:7fff::1'));
  t.notOk(inCidr('::/0', '10.0.0.1'), 'families do not mix');
  t.ok(inCidr('10.0.0.0/8', '::ffff:10.1.2.3'));
  t.ok(inCidr('::ffff:10.0.0.0/104', '10.1.2.3'), 'mapped prefix = IPv4 /8');
});

t.test('CIDR errors', async (t) => {
  t.match(parseCidr('10.0.0.1/8'), { ok: false, reason: /host bits are set: did you mean 10\.0\.0\.0\/8/ });
  t.match(parseCidr('10.0.0.0/33'), { ok: false, reason: /0–32/ });
  t.match(parseCidr('2001:db8::/129'), { ok: false, reason: /0–128/ });
  t.match(parseCidr('10.0.0.0/x'), { ok: false });
});

t.test('source entries: CIDR-looking text must parse, other text is a name', async (t) => {
  t.equal(parseSource('10.0.0.0/8').kind, 'cidr');
  t.equal(parseSource('::1').kind, 'cidr');
  t.same(parseSource('ivr-1'), { kind: 'name', name: 'ivr-1' });
  t.equal(parseSource('10.0.0').kind, 'invalid');
  t.equal(parseSource('ivr one').kind, 'invalid');
});

t.test('number rewrite and carrier request-URI', async (t) => {
  t.equal(rewriteUser('+441234', { stripDigits: 1, addPrefix: '00' }), '00441234');
  t.equal(rewriteUser('5551234', { stripDigits: 0, addPrefix: '' }), '5551234');
  t.equal(carrierRequestUri({ target: { scheme: 'sip', host: '127.0.0.1', port: 5071, transport: 'udp' }, rewrite: { stripDigits: 0, addPrefix: '' } }, '+4412'),
    'sip:+4412@127.0.0.1:5071;transport=udp');
  t.equal(carrierRequestUri({ target: { scheme: 'sip', host: '::1', port: 5072, transport: 'tcp' }, rewrite: { stripDigits: 1, addPrefix: '00' } }, '+4412'),
    'sip:004412@[::1]:5072;transport=tcp');
});

t.test('IPv6 parser edge cases', async (t) => {
  const ok: [string, number[]][] = [
    ['1:2:3:4:5:6:7:8', [0x00010002, 0x00030004, 0x00050006, 0x00070008]],
    ['1:2:3:4:5:6:7::', [0x00010002, 0x00030004, 0x00050006, 0x00070000]],
    ['::', [0, 0, 0, 0]],
    ['::2:3:4:5:6:7:8', [0x00000002, 0x00030004, 0x00050006, 0x00070008]],
    ['1::8', [0x00010000, 0, 0, 8]],
    ['ABCD:ef01::', [0xabcdef01, 0, 0, 0]],
    ['1:2:3:4:5:6:1.2.3.4', [0x00010002, 0x00030004, 0x00050006, 0x01020304]],
  ];
  for (const [s, words] of ok) t.same(parseIp(s)?.words, words, s);
  for (const bad of [':1::', '1:', '1::2:', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::1', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', ':::1', '1:2:3:4:5:6:7', 'x::1']) {
    t.equal(parseIp(bad), undefined, bad);
  }
});
