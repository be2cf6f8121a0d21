import t from 'tap';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { StreamFramer } from '../../src/sip/stream-framer';
import { isWellFormedNameAddr, parseVia, parseNameAddr, parseSipUri, parseCSeq } from '../../src/sip/headers';
import { paramsWellFormed } from '../../src/sip/uri';

const INVITE = [
  'INVITE sip:+15551234@127.0.0.1:5060 SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-1;rport, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK-0',
  'f: "Alarm IVR" <sip:ivr@10.0.0.1>;tag=abc',
  't: <sip:+15551234@127.0.0.1>',
  'i: call-77@10.0.0.1',
  'CSEQ:   1   INVITE',
  'm: <sip:ivr@10.0.0.1:5070>',
  'Subject: a folded',
  '  subject line',
  'c: application/sdp',
  'l: 12',
  '',
  'v=0\r\no=- 1 1',
].join('\r\n');

t.test('compact forms, folding, multi-value Via, case-insensitive names, body by Content-Length', async (t) => {
  const r = parseMessage(Buffer.from(INVITE));
  t.ok(r.ok);
  if (!r.ok) return;
  const m = r.message;
  t.equal(m.kind, 'request');
  t.equal(m.headers.get('Call-ID'), 'call-77@10.0.0.1');
  t.equal(m.headers.get('content-type'), 'application/sdp');
  t.equal(m.headers.get('subject'), 'a folded subject line');
  t.equal(m.headers.getAll('via').length, 2);
  t.equal(m.body.toString(), 'v=0\r\no=- 1 1');
  t.equal(parseNameAddr(m.headers.get('from')!)?.tag, 'abc');
  t.equal(parseNameAddr(m.headers.get('from')!)?.displayName, 'Alarm IVR');
});

t.test('serialise → parse round-trips and recomputes Content-Length', async (t) => {
  const r = parseMessage(Buffer.from(INVITE));
  if (!r.ok) return t.fail(r.error);
  const again = parseMessage(serializeMessage(r.message));
  t.ok(again.ok);
  if (!again.ok) return;
  t.equal(again.message.headers.get('content-length'), '12');
  t.same(again.message.body, r.message.body);
  t.same(again.message.headers.getAll('via'), r.message.headers.getAll('via'));
});

t.test('LF-only line endings are accepted', async (t) => {
  t.ok(parseMessage(Buffer.from(INVITE.replace(/\r\n/g, '\n').replace('v=0\no=- 1 1', 'v=0\r\no=- 1 1'))).ok);
});

t.test('malformed input yields an error, never a throw', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /empty/],
    ['no Call-ID', Buffer.from(INVITE.replace('i: call-77@10.0.0.1\r\n', '')), /Call-ID/],
    ['no CSeq', Buffer.from(INVITE.replace('CSEQ:   1   INVITE\r\n', '')), /CSeq/],
    ['no Via', Buffer.from(INVITE.replace(/v: SIP.*\r\n/, '')), /Via/],
    ['CSeq method mismatch', Buffer.from(INVITE.replace('1   INVITE', '1 BYE')), /does not match/],
    ['Content-Length too big', Buffer.from(INVITE.replace('l: 12', 'l: 500')), /Content-Length/],
    ['Content-Length not a number', Buffer.from(INVITE.replace('l: 12', 'l: x')), /Content-Length/],
    ['truncated', Buffer.from(INVITE.slice(0, 120)), /truncated|missing/],
    ['bad start line', Buffer.from('HELLO\r\n\r\n'), /start line/],
  ];
  for (const [name, buf, err] of cases) {
    const r = parseMessage(buf);
    t.notOk(r.ok, name);
    if (!r.ok) t.match(r.error, err, name);
  }
  const trunc = parseMessage(Buffer.from(INVITE.replace('i: call-77@10.0.0.1\r\n', '')));
  t.ok(!trunc.ok && trunc.request?.headers.has('via'), 'a request keeps its headers so a 400 can be sent');
  for (let i = 0; i < 500; i++) t.doesNotThrow(() => parseMessage(randomBytes(1 + (i * 37) % 2000)));
  t.doesNotThrow(() => parseMessage(Buffer.alloc(10 * 1024 * 1024, 0x41)));
});

t.test('header helpers', async (t) => {
  t.same(parseVia('SIP/2.0/TCP [::1]:5061;branch=z9hG4bKx;received=1.2.3.4'), { protocol: 'TCP', host: '[::1]', port: 5061, params: new Map([['branch', 'z9hG4bKx'], ['received', '1.2.3.4']]), branch: 'z9hG4bKx' });
  t.equal(parseSipUri('sip:u@[2001:db8::1]:5070;transport=tcp')?.port, 5070);
  t.equal(parseSipUri('sip:u@host;transport=tcp')?.params.get('transport'), 'tcp');
  t.equal(parseNameAddr('sip:a@b;tag=1')?.tag, '1', 'addr-spec params belong to the header');
  t.equal(parseNameAddr('<sip:a@b;lr>')?.tag, undefined);
  t.same(parseCSeq(' 42 invite '), { seq: 42, method: 'invite' }, 'methods are case-sensitive (RFC 3261 §7.1): kept as written');
  t.same(parseCSeq('7 !interesting-Method0123456789_*+`.%indeed\'~'), { seq: 7, method: "!interesting-Method0123456789_*+`.%indeed'~" }, 'any token is a method');
  t.equal(parseCSeq('x INVITE'), undefined);
});

t.test('stream framer: byte-by-byte, several per chunk, keep-alives, limits', async (t) => {
  const msg = Buffer.from(INVITE);
  const two = Buffer.concat([Buffer.from('\r\n\r\n'), msg, msg]);
  const f = new StreamFramer();
  const out = [];
  for (let i = 0; i < two.length; i++) out.push(...f.push(two.subarray(i, i + 1)));
  t.same(out.map((o) => o.kind), ['keepalive', 'message', 'message']);
  t.same(out.filter((o) => o.kind === 'message').map((o) => (o as { data: Buffer }).data), [msg, msg]);
  const big = new StreamFramer({ maxMessageBytes: 1024 }).push(Buffer.from(INVITE.replace('l: 12', `l: ${10 * 1024 * 1024}`)));
  t.same(big.map((o) => o.kind), ['error']);
  const nocl = new StreamFramer().push(Buffer.from(INVITE.replace('l: 12\r\n', '')));
  t.match(nocl[0], { kind: 'error', fatal: true, error: /missing Content-Length/ });
});

t.test('RFC 4475 requests: the parser refuses exactly the malformed ones, with a reason (505 for SIP/7.0)', async (t) => {
  const dir = path.join(__dirname, '..', 'fixtures', 'rfc4475');
  const refused: Record<string, RegExp> = {
    badinv01: /Via|Contact/, clerr: /Content-Length/, ncl: /Content-Length/, scalar02: /CSeq|Max-Forwards/, quotbal: /To/,
    ltgtruri: /Request-URI/, lwsruri: /Request-Line/, lwsstart: /Request-Line/, trws: /Request-Line/, regbadct: /Contact/,
    badaspec: /To/, baddn: /From|To/, badvers: /SIP\/7\.0/, mismatch01: /CSeq method/, mismatch02: /CSeq method/, insuf: /missing/,
    multi01: /more than one/, mcl01: /Content-Length/,
  };
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.dat'))) {
    const name = file.slice(0, -4);
    const bytes = fs.readFileSync(path.join(dir, file));
    if (bytes.toString('latin1').startsWith('SIP/')) continue;
    const r = parseMessage(bytes);
    const want = refused[name];
    if (!want) {
      t.ok(r.ok, `${name} parses${r.ok ? '' : `: ${r.error}`}`);
      continue;
    }
    t.notOk(r.ok, `${name} is refused`);
    if (r.ok) continue;
    t.match(r.error, want, `${name}: ${r.error}`);
    t.ok(r.request?.headers.has('via'), `${name}: the headers are kept so the refusal can be answered`);
    t.equal(r.status, name === 'badvers' ? 505 : undefined, `${name}: answered ${name === 'badvers' ? 505 : 400}`);
  }
  const intmeth = parseMessage(fs.readFileSync(path.join(dir, 'intmeth.dat')));
  t.equal(intmeth.ok && intmeth.message.kind === 'request' && intmeth.message.method, "!interesting-Method0123456789_*+`.%indeed'~", 'any token is a method, kept as written');
  const dbl = parseMessage(fs.readFileSync(path.join(dir, 'dblreq.dat')));
  t.equal(dbl.ok && dbl.message.body.length, 0, 'dblreq: octets after Content-Length are discarded');
  for (const name of ['unreason', 'noreason']) t.ok(parseMessage(fs.readFileSync(path.join(dir, `${name}.dat`))).ok, `${name}: a legal response parses`);
  t.notOk(parseMessage(fs.readFileSync(path.join(dir, 'bigcode.dat'))).ok, 'bigcode: a 10-digit status is refused');
});

t.test('name-addr and parameter grammar; URI headers start after the host', async (t) => {
  t.ok(isWellFormedNameAddr('"J Rosenberg \\\\\\"" <sip:j@example.com> ; tag = 98asjd8'));
  t.ok(isWellFormedNameAddr('caller<sip:caller@example.com>;tag=323'), 'no space before <');
  t.ok(isWellFormedNameAddr('sip:+1972@gw1.example.net;unknownparam'));
  t.ok(isWellFormedNameAddr('<sip:u@example.com?Route=%3Csip:x%3E>'), '? inside <> is fine');
  t.notOk(isWellFormedNameAddr('"Mr. J. User <sip:j.user@example.com>'), 'unterminated quote');
  t.notOk(isWellFormedNameAddr('"Watson, Thomas" < sip:t.watson@example.org >'), 'spaces inside <>');
  t.notOk(isWellFormedNameAddr('Bell, Alexander <sip:a.g.bell@example.com>;tag=43'), 'comma in an unquoted display name');
  t.notOk(isWellFormedNameAddr('sip:user@example.com?Route=%3Csip:x%3E'), '? in a bare addr-spec');
  t.notOk(isWellFormedNameAddr('"Joe" <sip:joe@example.org>;;;;'), 'empty parameters');
  t.ok(paramsWellFormed('branch=z9hG4bKx;rport;received=1.2.3.4'));
  t.notOk(paramsWellFormed(';'));
  t.notOk(paramsWellFormed('a="unterminated'));
  t.equal(parseSipUri('sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn\'t-it)@example.com')?.host, 'example.com', '? in the user part');
  t.equal(parseSipUri('sip:user@example.com?Route=%3Csip:example.com%3E')?.headers, 'Route=%3Csip:example.com%3E');
});
