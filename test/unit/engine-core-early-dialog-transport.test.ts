/**
 * A caller over TCP whose connection goes away while the app is still answering its INVITE: the
 * 18x created an early dialog, the next response cannot be sent, and the INVITE server transaction
 * ends (RFC 3261 §17.2.4). The early dialog must end with it — it was left for ever (fuzz/findings.md
 * #8: early UAS dialogs still held after fuzz-short, the edge closes junk-fed TCP connections).
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP } from '../helpers/engine-core-harness';
import type { Target } from '../../src/sip/message';

const CALLER_TCP: Target = { protocol: 'tcp', address: '127.0.0.2', port: 5070 };

t.test('INVITE over TCP, 183 creates an early dialog, the connection fails: dialog ends with the transaction', async (t) => {
  let broken = false;
  const h = new CoreHarness({ failSend: () => broken });
  h.receive(peerRequest({ callId: 'ed-1', fromTag: 'f1', branch: 'z9hG4bK-ed1', body: SDP, via: 'SIP/2.0/TCP 127.0.0.2:5070;branch=z9hG4bK-ed1' }), CALLER_TCP);
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 183 Session Progress\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  t.equal(h.ctx.dialogs.size, 1, 'early dialog on the 183');
  broken = true;
  h.appSip(txn, '', 'SIP/2.0 180 Ringing\r\n\r\n');
  await h.flush();
  t.equal(h.counts().server, 0, 'the transaction ended on the transport failure');
  t.equal(h.ctx.dialogs.size, 0, 'the early dialog ended with it');
});

t.test('a confirmed dialog stays when its INVITE transaction ends', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'ed-2', fromTag: 'f1', branch: 'z9hG4bK-ed2', body: SDP, via: 'SIP/2.0/TCP 127.0.0.2:5070;branch=z9hG4bK-ed2' }), CALLER_TCP);
  h.appSip(h.app.lastSip().tokens[8]!, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const toTag = /;tag=([^;>\s]+)/.exec(h.responses(200).at(-1)?.headers.get('to') ?? '')![1]!;
  h.receive(peerRequest({ method: 'ACK', callId: 'ed-2', fromTag: 'f1', toTag, branch: 'z9hG4bK-ed2a', via: 'SIP/2.0/TCP 127.0.0.2:5070;branch=z9hG4bK-ed2a' }), CALLER_TCP);
  h.clock.advance(64 * 500 + 1000);
  t.equal(h.counts().server, 0);
  t.equal(h.ctx.dialogs.size, 1, 'confirmed: the call is up until a BYE');
});
