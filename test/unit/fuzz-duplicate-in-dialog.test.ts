/**
 * Input-caused 500s of the 630,000-message fuzz run (branch harden, findings 1 and 7): the fuzzer's
 * `doubleMessage` sends the same in-dialog request twice in one TCP stream. On a reliable transport
 * a non-INVITE server transaction ends as soon as it is answered (RFC 3261 §17.2.2, timer J = 0), so
 * the copy reached the dialog as a new request with the CSeq it had just seen and was answered 500
 * (§12.2.2 asks that for a *lower* CSeq). A copy of the dialog's last request — same CSeq, same
 * branch — is a late retransmission: the dialog absorbs it as its transaction would have. Another
 * request with an equal or lower CSeq still gets 500.
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP } from '../helpers/engine-core-harness';

const TCP = { protocol: 'tcp' as const, address: '127.0.0.2', port: 5070 };
const via = (b: string): string => `SIP/2.0/TCP 127.0.0.2:5070;branch=${b}`;

async function callUp(h: CoreHarness): Promise<string> {
  h.receive(peerRequest({ callId: 'd1', fromTag: 'f1', cseq: 1, via: via('z9hG4bK-i'), body: SDP }), TCP);
  h.appSip(h.app.lastSip().tokens[8]!, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const toTag = /;tag=([^;>\s]+)/.exec(h.responses(200)[0]!.headers.get('to') ?? '')![1]!;
  h.receive(peerRequest({ method: 'ACK', callId: 'd1', fromTag: 'f1', toTag, cseq: 1, via: via('z9hG4bK-a') }), TCP);
  return toTag;
}

const statuses = (h: CoreHarness, method: string): number[] => h.responses().filter((r) => r.headers.get('cseq')?.endsWith(method)).map((r) => r.status);

t.test('a PRACK the engine answers 481 at once, sent twice over TCP: one 481, no 500', async (t) => {
  const h = new CoreHarness();
  const toTag = await callUp(h);
  const prack = peerRequest({ method: 'PRACK', callId: 'd1', fromTag: 'f1', toTag, cseq: 2, via: via('z9hG4bK-p'), extra: ['RAck: 1 1 INVITE'] });
  h.receive(prack, TCP);
  h.receive(prack, TCP);
  await h.flush();
  t.same(statuses(h, 'PRACK'), [481]);
});

t.test('an INFO answered by the app, its copy after the transaction ended: absorbed, no 500', async (t) => {
  const h = new CoreHarness();
  const toTag = await callUp(h);
  const info = peerRequest({ method: 'INFO', callId: 'd1', fromTag: 'f1', toTag, cseq: 2, via: via('z9hG4bK-n') });
  h.receive(info, TCP);
  h.appSip(h.app.lastSip().tokens[8]!, '', 'SIP/2.0 200 OK\r\n\r\n');
  await h.flush();
  h.receive(info, TCP);
  await h.flush();
  t.same(statuses(h, 'INFO'), [200]);
  t.equal(h.app.sipFrames().filter((f) => f.message?.kind === 'request' && f.message.method === 'INFO').length, 1, 'the app saw it once');
  h.clock.advance(40_000);
  t.same(h.counts(), { dialogs: 1, server: 0, client: 0 }, 'no transaction left behind');
});

t.test('another request with the same CSeq (another branch), or a lower one: still 500 (RFC 3261 §12.2.2)', async (t) => {
  const h = new CoreHarness();
  const toTag = await callUp(h);
  h.receive(peerRequest({ method: 'INFO', callId: 'd1', fromTag: 'f1', toTag, cseq: 5, via: via('z9hG4bK-x') }), TCP);
  h.appSip(h.app.lastSip().tokens[8]!, '', 'SIP/2.0 200 OK\r\n\r\n');
  await h.flush();
  h.receive(peerRequest({ method: 'INFO', callId: 'd1', fromTag: 'f1', toTag, cseq: 5, via: via('z9hG4bK-y') }), TCP);
  h.receive(peerRequest({ method: 'INFO', callId: 'd1', fromTag: 'f1', toTag, cseq: 4, via: via('z9hG4bK-z') }), TCP);
  await h.flush();
  t.same(statuses(h, 'INFO'), [200, 500, 500]);
});
