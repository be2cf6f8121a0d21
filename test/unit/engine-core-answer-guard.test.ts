/**
 * An INVITE handed to the application that it never answers (fuzz/findings.md #8: re-INVITEs in
 * Proceeding for ever, no timer armed): the engine answers in its place, as a last resort, and logs
 * it — a re-INVITE 500 + Retry-After after 2·64·T1 (the call goes on), an initial INVITE 408 after
 * timer C, restarted by each provisional the app sends. Answered INVITEs never meet the guard.
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP } from '../helpers/engine-core-harness';

const T1 = 500;

/** A confirmed UAS dialog with the peer; returns the To tag the engine gave it. */
async function confirmed(h: CoreHarness, callId: string): Promise<string> {
  h.receive(peerRequest({ callId, fromTag: 'f1', cseq: 1, branch: `z9hG4bK-${callId}-1`, body: SDP }));
  h.appSip(h.app.lastSip().tokens[8]!, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const toTag = /;tag=([^;>\s]+)/.exec(h.responses(200).at(-1)?.headers.get('to') ?? '')![1]!;
  h.receive(peerRequest({ method: 'ACK', callId, fromTag: 'f1', toTag, cseq: 1, branch: `z9hG4bK-${callId}-2` }));
  return toTag;
}

t.test('re-INVITE the app never answers: 500 with Retry-After after 2·64·T1, logged; the dialog stays', async (t) => {
  const h = new CoreHarness();
  const toTag = await confirmed(h, 'g1');
  h.receive(peerRequest({ callId: 'g1', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-g1-3', body: SDP }));
  t.match(h.app.lastSip().sip, /^INVITE /, 're-INVITE passed to the app');
  h.clock.advance(2 * 64 * T1 - 1);
  t.equal(h.responses(undefined, 'INVITE').filter((r) => r.status >= 200 && /^2 /.test(r.headers.get('cseq') ?? '')).length, 0, 'nothing final before the guard');
  h.clock.advance(1);
  const res = h.responses(500, 'INVITE').find((r) => /^2 /.test(r.headers.get('cseq') ?? ''));
  t.ok(res, 'answered 500');
  t.match(res?.headers.get('retry-after') ?? '', /^\d+$/, 'with Retry-After (RFC 3261 §14.2)');
  t.match(h.warnings.join('\n'), /never answered the INVITE.*"reinvite":true/, 'logged');
  h.receive(peerRequest({ method: 'ACK', callId: 'g1', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-g1-3' }));
  h.clock.advance(64 * T1);
  t.same(h.counts(), { dialogs: 1, server: 0, client: 0 }, 'transaction ended, the call still up');
  // A new re-INVITE is handled as usual (the dialog is no longer marked as having one in progress).
  h.receive(peerRequest({ callId: 'g1', fromTag: 'f1', toTag, cseq: 3, branch: 'z9hG4bK-g1-4', body: SDP }));
  t.match(h.app.lastSip().sip, /^INVITE .*\r\n[\s\S]*CSeq: 3 INVITE/i, 'the next re-INVITE reaches the app');
});

t.test('initial INVITE the app never answers: 408 after timer C, which each provisional restarts', async (t) => {
  const h = new CoreHarness({ timers: { C: 180_000 } });
  h.receive(peerRequest({ callId: 'g2', fromTag: 'f1', cseq: 1, branch: 'z9hG4bK-g2-1', body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.clock.advance(100_000);
  h.appSip(txn, '', 'SIP/2.0 180 Ringing\r\n\r\n');
  await h.flush();
  h.clock.advance(179_999);
  t.equal(h.responses(408).length, 0, 'the 180 restarted timer C');
  h.clock.advance(1);
  t.equal(h.responses(408).length, 1, '408 at timer C after the last provisional');
  t.match(h.warnings.join('\n'), /never answered the INVITE.*"reinvite":false/, 'logged');
  const late = h.appSip(txn, '', 'SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n' + SDP);
  t.match(h.app.answer(late)?.tokens[3] ?? '', 'NOK', "the app's late answer is refused");
  h.receive(peerRequest({ method: 'ACK', callId: 'g2', fromTag: 'f1', cseq: 1, branch: 'z9hG4bK-g2-1' }));
  h.clock.advance(64 * T1);
  t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
});

t.test('answered in time: no guard response, nothing logged', async (t) => {
  const h = new CoreHarness();
  const toTag = await confirmed(h, 'g3');
  h.receive(peerRequest({ callId: 'g3', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-g3-3', body: SDP }));
  h.clock.advance(60 * T1);
  h.appSip(h.app.lastSip().tokens[8]!, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  h.receive(peerRequest({ method: 'ACK', callId: 'g3', fromTag: 'f1', toTag, cseq: 2, branch: 'z9hG4bK-g3-4' }));
  h.clock.advance(10 * 64 * T1);
  t.equal(h.responses(500).length + h.responses(408).length, 0, 'no engine answer');
  t.equal(h.warnings.filter((w) => /never answered/.test(w)).length, 0);
  t.same(h.counts(), { dialogs: 1, server: 0, client: 0 });
});
