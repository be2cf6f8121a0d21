/**
 * A new INVITE (no To tag) whose Call-ID and From tag are already in use — by a dialog, or by an
 * INVITE still unanswered — gets 482 from the engine (RFC 3261 §8.2.2.2, merged requests); the app
 * never sees a second call under the same drachtio dialog id (fuzz/findings.md #8).
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP } from '../helpers/engine-core-harness';

const status = (h: CoreHarness): number[] => h.responses().map((r) => r.status);
const invites = (h: CoreHarness): number => h.app.sipFrames().filter((f) => f.message?.kind === 'request' && f.message.method === 'INVITE').length;

t.test('same Call-ID/From tag/CSeq, another branch, while the first is unanswered → 482; the app sees one INVITE', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'm1', fromTag: 'f1', cseq: 1, branch: 'z9hG4bK-a', body: SDP }));
  h.receive(peerRequest({ callId: 'm1', fromTag: 'f1', cseq: 1, branch: 'z9hG4bK-b', body: SDP }));
  t.equal(invites(h), 1);
  t.ok(status(h).includes(482), `482 sent (${status(h).join(',')})`);
});

t.test('a new INVITE under the id of a dialog we hold (answered call) → 482', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'm2', fromTag: 'f2', cseq: 1, branch: 'z9hG4bK-c', body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  t.equal(h.ctx.dialogs.size, 1);
  h.receive(peerRequest({ callId: 'm2', fromTag: 'f2', cseq: 2, branch: 'z9hG4bK-d', body: SDP }));
  t.equal(invites(h), 1, 'not passed up');
  t.equal(status(h).at(-1), 482);
});

t.test('same Call-ID with another From tag is a different dialog: passed up', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'm3', fromTag: 'f3', cseq: 1, branch: 'z9hG4bK-e', body: SDP }));
  h.receive(peerRequest({ callId: 'm3', fromTag: 'g3', cseq: 1, branch: 'z9hG4bK-f', body: SDP }));
  t.equal(invites(h), 2);
  t.notOk(status(h).includes(482));
});
