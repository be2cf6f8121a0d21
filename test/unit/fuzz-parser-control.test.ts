/**
 * Found by the mutation fuzzer (npm run fuzz --seed 2, junkInsert): a bare CR inside a header value
 * (here the Call-ID) was accepted. The engine then wrote that Call-ID into the wire protocol's dialog
 * id, which drachtio-srf splits at the first CR: srf printed "failed to parse sip message" and the
 * request was never answered. A bare CR or a NUL in a header line is refused (400) like other
 * invalid header lines.
 */
import t from 'tap';
import { parseMessage } from '../../src/sip/parser';

const msg = (callId: string): Buffer => Buffer.from(['INVITE sip:+4911100001@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK-1',
  'From: <sip:ivr@127.0.0.2>;tag=a', 'To: <sip:+4911100001@127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 INVITE', 'Contact: <sip:ivr@127.0.0.2:5062>', 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');

t.test('a bare CR or NUL inside a header value is refused with the parser\'s typed error', async (t) => {
  for (const bad of ['ab\rcd', 'ab\x00cd', 'ab\r', 'ab\r\n x\ry']) {
    const r = parseMessage(msg(bad));
    t.equal(r.ok, false, `Call-ID ${JSON.stringify(bad)} refused`);
    if (!r.ok) t.ok(r.request, 'with the partial request, so the transport can answer 400');
  }
  t.equal(parseMessage(msg('ab\tcd@host')).ok, true, 'a tab is ordinary whitespace');
  t.equal(parseMessage(msg('fz-abc@127.0.0.2')).ok, true, 'an ordinary Call-ID parses');
});
