/**
 * Issue 11: what a core entry keeps of its request for the wait window (src/engine/core/txn-retire.ts)
 * — the identifying headers packed into one string — must read back exactly as the request had them:
 * ACK matching, the leak summaries and the tag checks read it. Checked on parsed requests (a Via
 * list, repeated Via lines, display names, parameters), on generated ones (fast-check), and on
 * values holding the characters the packing uses as separators.
 */
import t from 'tap';
import fc from 'fast-check';
import { parseMessage } from '../../src/sip/parser';
import { SipHeaders, type SipRequest } from '../../src/sip/message';
import { getCallId, getCSeq, getToTag } from '../../src/sip/headers';
import { requestSkeleton } from '../../src/engine/core/txn-retire';

const KEPT = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

function parse(text: string): SipRequest {
  const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`test message does not parse: ${r.ok ? 'a response' : r.error}`);
  return r.message;
}

const INVITE = [
  'INVITE sip:+15550100@carrier.example;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-a;rport, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-b',
  'Via: SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bK-c;received=192.0.2.8',
  'Max-Forwards: 70',
  'From: "Alarm, Zone 4" <sip:ivr@example.com>;tag=f1',
  'To: <sip:+15550100@carrier.example>;tag=t9',
  'Call-ID: 3848276298220188511@10.0.0.1',
  'CSeq: 7 INVITE',
  'Contact: <sip:ivr@10.0.0.1:5060>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\n');

t.test('the skeleton reads back method, URI, version and every kept header value; nothing else', async (t) => {
  const req = parse(INVITE);
  const sk = requestSkeleton(req);
  t.equal(sk.kind, 'request');
  t.equal(sk.method, 'INVITE');
  t.equal(sk.uri, req.uri);
  t.equal(sk.version, req.version);
  for (const name of KEPT) t.same(sk.headers.getAll(name), req.headers.getAll(name), name);
  t.equal(sk.headers.getAll('via').length, 3, 'a Via list and a second Via line: three values, in order');
  t.equal(sk.headers.first('via'), req.headers.first('via'));
  t.equal(getToTag(sk), 't9');
  t.equal(getCallId(sk), '3848276298220188511@10.0.0.1');
  t.same(getCSeq(sk), { seq: 7, method: 'INVITE' });
  t.equal(sk.headers.get('contact'), undefined, 'Contact is not kept');
  t.equal(sk.headers.get('max-forwards'), undefined);
  t.equal(sk.body.length, 0, 'no body');
});

t.test('each read is a fresh parse: changing what one read returned does not change the next', async (t) => {
  const sk = requestSkeleton(parse(INVITE));
  sk.headers.set('To', '<sip:x@y>;tag=other');
  t.equal(getToTag(sk), 't9');
});

t.test('values holding the separators the packing uses are kept as they were', async (t) => {
  const weird: SipRequest = {
    kind: 'request', method: 'BYE', uri: 'sip:a@b', version: 'SIP/2.0', body: Buffer.alloc(0),
    headers: new SipHeaders([
      { name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK-\u0000x' },
      { name: 'From', value: '<sip:a@b>;tag=\u0001' },
      { name: 'To', value: '<sip:c@d>' },
      { name: 'Call-ID', value: 'c' },
      { name: 'CSeq', value: '1 BYE' },
    ]),
  };
  const sk = requestSkeleton(weird);
  for (const name of KEPT) t.same(sk.headers.getAll(name), weird.headers.getAll(name), name);
});

t.test('property: generated requests read back the same kept headers', async (t) => {
  const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
  const host = fc.oneof(
    fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,6}){0,2}$/),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  );
  const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
  const via = fc.tuple(fc.constantFrom('UDP', 'TCP', 'TLS'), host, port, token, fc.boolean()).map(([proto, h, p, b, rport]) =>
    `SIP/2.0/${proto} ${h}${p ? `:${p}` : ''};branch=z9hG4bK${b}${rport ? ';rport' : ''}`);
  // A display name may hold commas and spaces (inside quotes): the header must still read back whole.
  const display = fc.option(fc.stringMatching(/^[A-Za-z0-9 ,.'-]{1,16}$/), { nil: undefined });
  const nameAddr = (tag: boolean) => fc.tuple(display, token, host, tag ? token.map((x) => `;tag=${x}`) : fc.constant('')).map(([d, u, h, tg]) =>
    `${d ? `"${d}" ` : ''}<sip:${u}@${h}>${tg}`);
  const message = fc.record({
    // Each Via line carries one value or a comma list of them.
    vias: fc.array(fc.array(via, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
    from: nameAddr(true), to: nameAddr(false), callId: fc.tuple(token, host).map(([a, h]) => `${a}@${h}`), seq: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
  fc.assert(fc.property(message, (m) => {
    const text = [
      'OPTIONS sip:x@example.com SIP/2.0',
      ...m.vias.map((line) => `Via: ${line.join(', ')}`),
      `From: ${m.from}`, `To: ${m.to}`, `Call-ID: ${m.callId}`, `CSeq: ${m.seq} OPTIONS`, 'Content-Length: 0', '', '',
    ].join('\n');
    const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
    // Every generated request is valid: one the parser refused would make the property vacuous.
    if (!r.ok || r.message.kind !== 'request') throw new Error(`generated request refused: ${r.ok ? 'a response' : r.error}\n${text}`);
    const sk = requestSkeleton(r.message);
    for (const name of KEPT) if (JSON.stringify(sk.headers.getAll(name)) !== JSON.stringify(r.message.headers.getAll(name))) throw new Error(`${name} reads back differently`);
    if (sk.headers.getAll('via').length !== m.vias.flat().length) throw new Error('a Via value lost or split');
    return true;
  }), { numRuns: 500, seed: 11 });
  t.pass('500 generated requests, all parsed, read back identically');
});
