/**
 * A From or To with two tag parameters (the fuzzer's `;tag=x;tag=y`): the engine took one tag, the
 * peer the other, so the peer's BYE never matched the dialog and the call was never ended
 * (fuzz/findings.md #8, fuzz-short seed 20000). Refused as malformed, like any broken From/To (400).
 */
import t from 'tap';
import { parseMessage } from '../../src/sip/parser';

const msg = (from: string, to: string, start = 'INVITE sip:svc@127.0.0.1 SIP/2.0', cseq = '1 INVITE'): Buffer => Buffer.from([
  start, 'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-dt', 'Max-Forwards: 70', `From: ${from}`, `To: ${to}`, 'Call-ID: dt-1',
  `CSeq: ${cseq}`, 'Contact: <sip:peer@127.0.0.2:5070>', 'Content-Length: 0', '', ''].join('\r\n'));

for (const [name, from, to] of [
  ['From ;tag=x;tag=y', '<sip:peer@127.0.0.2>;tag=x;tag=y', '<sip:svc@127.0.0.1>'],
  ['From ;tag=x;TAG=y', '<sip:peer@127.0.0.2>;tag=x;TAG=y', '<sip:svc@127.0.0.1>'],
  ['To ;tag=a;tag=b', '<sip:peer@127.0.0.2>;tag=x', '<sip:svc@127.0.0.1>;tag=a; tag=b'],
] as const) {
  t.test(`request with ${name}: refused`, async (t) => {
    const p = parseMessage(msg(from, to));
    t.notOk(p.ok, 'not accepted');
    if (!p.ok) t.match(p.error, /invalid (From|To)/);
  });
}

t.test('response with a To of two tags: refused', async (t) => {
  const p = parseMessage(msg('<sip:peer@127.0.0.2>;tag=x', '<sip:svc@127.0.0.1>;tag=a;tag=b', 'SIP/2.0 200 OK'));
  t.notOk(p.ok);
});

t.test('one tag, and a tag inside the URI, are fine', async (t) => {
  t.ok(parseMessage(msg('<sip:peer@127.0.0.2>;tag=x', '<sip:svc@127.0.0.1>')).ok);
  t.ok(parseMessage(msg('<sip:peer@127.0.0.2;tag=u>;tag=x', '<sip:svc@127.0.0.1>')).ok, 'URI parameter named tag is not a header tag');
  t.ok(parseMessage(msg('sip:peer@127.0.0.2;tag=x', '<sip:svc@127.0.0.1>')).ok, 'addr-spec form: its ;tag is the header tag');
});
