/**
 * A BYE ends the dialog while a re-INVITE of the peer is still unanswered by the app (it was being
 * relayed to the other leg): the engine answers that re-INVITE 487 (RFC 3261 §15.1.2), so its server
 * transaction ends instead of waiting for an answer that never comes (fuzz/findings.md #8).
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP } from '../helpers/engine-core-harness';

t.test('re-INVITE pending when the BYE arrives → 487; transactions back to 0', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'b1', fromTag: 'f1', cseq: 1, branch: 'z9hG4bK-1', body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const ok = h.responses().find((r) => r.status === 200)!;
  const toTag = /;tag=([^;>\s]+)/.exec(ok.headers.get('to') ?? '')![1]!;
  h.receive(peerRequest({ method: 'ACK', callId: 'b1', fromTag: 'f1', toTag, cseq: 1, branch: 'z9hG4bK-2' }));
  h.receive(peerRequest({ callId: 'b1', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-3', body: SDP }));
  t.match(h.app.lastSip().sip, /^INVITE /, 're-INVITE passed to the app');
  h.receive(peerRequest({ method: 'BYE', callId: 'b1', fromTag: 'f1', toTag, cseq: 3, branch: 'z9hG4bK-4' }));
  t.ok(h.responses().some((r) => r.status === 487 && /2 INVITE/.test(r.headers.get('cseq') ?? '')), 'the re-INVITE got 487');
  const byeTxn = h.app.lastSip().tokens[8]!;
  h.appSip(byeTxn, '', 'SIP/2.0 200 OK\r\n\r\n');
  await h.flush();
  h.receive(peerRequest({ method: 'ACK', callId: 'b1', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-3' }));
  h.clock.advance(64 * 500 + 6000);
  t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
});
