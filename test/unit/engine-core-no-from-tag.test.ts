/**
 * An INVITE whose From has no tag (RFC 2543 style; RFC 3261 §12.1.1 keeps such a dialog with a null
 * remote tag): answered 200 by the app, the engine must hold its dialog, or the caller's BYE gets 481
 * and the call the app bridged is never ended (fuzz/findings.md #8, fuzz-short seed 20000).
 */
import t from 'tap';
import { CoreHarness, SDP } from '../helpers/engine-core-harness';

const req = (method: string, cseq: number, branch: string, toTag?: string, body = ''): string => [
  `${method} sip:svc@127.0.0.1:5060 SIP/2.0`,
  `Via: SIP/2.0/UDP 127.0.0.2:5070;branch=${branch}`,
  'Max-Forwards: 70',
  'From: <sip:peer@127.0.0.2>',
  `To: <sip:svc@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
  'Call-ID: notag-1',
  `CSeq: ${cseq} ${method}`,
  'Contact: <sip:peer@127.0.0.2:5070>',
  ...(body ? ['Content-Type: application/sdp'] : []),
  `Content-Length: ${Buffer.byteLength(body)}`,
  '',
  body,
].join('\r\n');

t.test('INVITE without a From tag, answered 200: dialog held, the caller\'s BYE ends it', async (t) => {
  const h = new CoreHarness();
  h.receive(req('INVITE', 1, 'z9hG4bK-nt1', undefined, SDP));
  const inv = h.app.lastSip();
  h.appSip(inv.tokens[8]!, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const ok = h.responses(200).at(-1)!;
  const toTag = /;tag=([^;>\s]+)/.exec(ok.headers.get('to') ?? '')![1]!;
  t.equal(h.ctx.dialogs.size, 1, 'the engine holds the dialog (null remote tag)');
  h.receive(req('ACK', 1, 'z9hG4bK-nt2', toTag));
  h.receive(req('BYE', 2, 'z9hG4bK-nt3', toTag));
  const bye = h.app.lastSip();
  t.match(bye.sip, /^BYE /, 'the BYE reaches the app');
  t.equal(bye.tokens[9], 'notag-1;from-tag=', 'with the dialog id the app was given in the 200 echo');
  t.equal(h.responses(481).length, 0, 'no 481');
  t.equal(h.ctx.dialogs.size, 0, 'dialog ended');
});
