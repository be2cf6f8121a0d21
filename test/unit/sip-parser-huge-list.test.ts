/**
 * A header list with hundreds of thousands of entries (the network fuzzer's hugeValue: `<sip:x@y>, `
 * × 70,000 in a Route or Via) must parse or be refused, never throw: SipHeaders.getAll spread every
 * split value into push(), and past ~150,000 arguments V8 throws "Maximum call stack size exceeded"
 * — it killed the 1,000,000-message fuzz run's sent log (fuzz/sent-log.ts parses with this parser).
 * The edge's transport refuses anything over 64 KiB first, but the parser is shared (src/sip: the
 * simulator, the fuzzer) and has no size limit of its own.
 */
import t from 'tap';
import { parseMessage } from '../../src/sip/parser';
import { SipHeaders } from '../../src/sip/message';

const request = (via: string, route: string): Buffer => Buffer.from([
  'OPTIONS sip:svc@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-hl${via}`, 'Max-Forwards: 70',
  'From: <sip:peer@127.0.0.2>;tag=1', 'To: <sip:svc@127.0.0.1>', 'Call-ID: hl-1', 'CSeq: 1 OPTIONS', `Route: <sip:r@127.0.0.1;lr>${route}`,
  'Content-Length: 0', '', ''].join('\r\n'));

t.test('a Via list of 200,000 entries: parsed or refused, no exception', async (t) => {
  const bytes = request(', SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-x'.repeat(200_000), '');
  let r: ReturnType<typeof parseMessage> | undefined;
  t.doesNotThrow(() => { r = parseMessage(bytes); });
  t.ok(r, 'a result');
});

t.test('a Route list of 300,000 entries: getAll returns every one', async (t) => {
  const bytes = request('', ', <sip:x@y>'.repeat(300_000));
  let r: ReturnType<typeof parseMessage> | undefined;
  t.doesNotThrow(() => { r = parseMessage(bytes); });
  t.ok(r?.ok, 'parsed');
  if (r?.ok) t.equal(r.message.headers.getAll('route').length, 300_001);
});

t.test('getAll over many fields of one header', async (t) => {
  const h = new SipHeaders();
  for (let i = 0; i < 5; i++) h.append('Route', Array.from({ length: 50_000 }, (_, k) => `<sip:r${k}@h>`).join(', '));
  t.equal(h.getAll('route').length, 250_000);
});
