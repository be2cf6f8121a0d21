/** RFC 3262 reliable provisionals in the engine core, on the fake clock (UAS and UAC). */
import t from 'tap';
import { CARRIER, CoreHarness, peerRequest, peerResponse, SDP, toTag } from '../helpers/engine-core-harness';
import { parseRAck, ReliableProvisionals } from '../../src/engine/core/prack';
import { FakeClock } from '../../src/engine/transaction/clock';
import { buildResponse } from '../../src/sip/response-builder';
import { SipHeaders, type SipResponse } from '../../src/sip/message';

function reliableInvite(h: CoreHarness, supported = 'Supported: 100rel'): string {
  h.receive(peerRequest({ branch: 'z9hG4bKrel', body: SDP, extra: supported ? [supported] : [] }));
  return h.app.lastSip().tokens[8]!;
}
const reliable183 = `SIP/2.0 183 Session Progress\r\nRequire: 100rel\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

t.test('reliable 183: RSeq + Require: 100rel + Contact; retransmitted at T1, 2·T1, 4·T1 …; 503 after 64·T1', async (t) => {
  const h = new CoreHarness();
  const txn = reliableInvite(h);
  const m = h.appSip(txn, '', reliable183);
  const echo = h.app.answer(m)!;
  t.match(echo.sip, /\r\nRSeq: \d+\r\n/, 'the app sees the RSeq (srf waits for the PRACK on it)');
  h.clock.advance(64 * 500);
  const sends = h.sent.filter((s) => s.msg.kind === 'response' && (s.msg as SipResponse).status === 183);
  t.same(sends.map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  const first = sends[0]!.msg as SipResponse;
  t.equal(first.headers.get('require'), '100rel');
  t.ok(first.headers.has('contact'));
  const final = h.responses(503)[0]!;
  t.equal(final.reason, 'Reliable Response Time-Out');
  t.equal(h.ctx.dialogs.size, 0);
});

t.test('PRACK with the right RAck stops the retransmissions and reaches the app; a wrong one gets 481', async (t) => {
  const h = new CoreHarness();
  const txn = reliableInvite(h);
  h.appSip(txn, '', reliable183);
  const r183 = h.responses(183)[0]!;
  const rseq = Number(r183.headers.get('rseq'));
  t.ok(rseq >= 1 && rseq < 2 ** 31);
  h.receive(peerRequest({ method: 'PRACK', branch: 'z9hG4bKp0', toTag: toTag(r183), cseq: 2, extra: [`RAck: ${rseq + 1} 1 INVITE`] }));
  t.equal(h.responses().at(-1)!.status, 481);
  h.receive(peerRequest({ method: 'PRACK', branch: 'z9hG4bKp1', toTag: toTag(r183), cseq: 3, extra: [`RAck: ${rseq} 1 INVITE`] }));
  const prack = h.app.lastSip();
  t.match(prack.sip, /^PRACK /);
  t.equal(prack.tokens[9], 'call-1@peer;from-tag=peertag', 'in the early dialog');
  h.clock.advance(10_000);
  t.equal(h.responses(183).length, 1, 'no retransmission after the PRACK');
  h.appSip(prack.tokens[8]!, '', 'SIP/2.0 200 OK\r\n\r\n');
  t.equal(h.responses(200, 'PRACK').length, 1);
});

t.test('a second reliable provisional waits for the first PRACK; a 2xx waits behind one that carried SDP', async (t) => {
  const h = new CoreHarness();
  const txn = reliableInvite(h);
  h.appSip(txn, '', reliable183);
  h.appSip(txn, '', 'SIP/2.0 180 Ringing\r\nRequire: 100rel\r\n\r\n');
  h.appSip(txn, '', `SIP/2.0 200 OK\r\n\r\n${SDP}`);
  t.same(h.responses().map((r) => r.status), [100, 183], '180 and 200 held');
  const r183 = h.responses(183)[0]!;
  h.receive(peerRequest({ method: 'PRACK', branch: 'z9hG4bKq1', toTag: toTag(r183), cseq: 2, extra: [`RAck: ${r183.headers.get('rseq')} 1 INVITE`] }));
  t.same(h.responses().map((r) => r.status), [100, 183, 200], 'the PRACK released the 2xx (the queued 180 is dropped after the final)');
});

t.test('the caller did not offer 100rel: the app is told, nothing is sent', async (t) => {
  const h = new CoreHarness();
  const txn = reliableInvite(h, '');
  const m = h.appSip(txn, '', reliable183);
  t.same(h.app.answer(m)!.tokens.slice(3, 5), ['NOK', 'Remote endpoint does not support 100rel']);
  t.same(h.responses().map((r) => r.status), [100]);
});

t.test('a 2xx held behind an un-PRACKed 183 that times out: 503 to the caller, unsolicited BYE to the app', async (t) => {
  const h = new CoreHarness();
  const txn = reliableInvite(h);
  h.appSip(txn, '', reliable183);
  h.appSip(txn, '', `SIP/2.0 200 OK\r\n\r\n${SDP}`);
  h.clock.advance(32_000);
  t.same(h.responses().map((r) => r.status).filter((s) => s !== 183), [100, 503]);
  t.equal(h.app.lastSip().tokens[8], 'unsolicited');
  t.equal(h.ctx.dialogs.size, 0);
});

t.test('UAC: reliable 1xx tracked in order (RSeq+1 only); the app\'s PRACK goes to the early dialog with RAck', async (t) => {
  const h = new CoreHarness();
  const m = h.appSip('', '', `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nSupported: 100rel\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  t.equal(h.app.answer(m)!.tokens[3], 'OK');
  const inv = h.requests('INVITE')[0]!;
  const rel = (rseq: number): string => peerResponse(inv, 183, { toTag: 'e1', contact: '<sip:e@127.0.0.3:5099>', extra: ['Require: 100rel', `RSeq: ${rseq}`], body: SDP });
  h.receive(rel(10), CARRIER);
  h.receive(rel(10), CARRIER); // retransmission
  h.receive(rel(12), CARRIER); // gap
  t.equal(h.app.sipFrames().length, 1, 'only the first reaches the app');
  const dlg = h.app.lastSip().tokens[9]!;
  h.appSip('', dlg, 'PRACK sip:callee@127.0.0.3:5080 SIP/2.0\r\n\r\n'); // srf would add RAck; the engine fills it in when missing
  await h.flush();
  const prack = h.requests('PRACK')[0]!;
  t.equal(prack.uri, 'sip:e@127.0.0.3:5099');
  t.equal(prack.headers.get('rack'), `10 ${/^\d+/.exec(inv.headers.get('cseq')!)![0]} INVITE`);
  h.receive(rel(11), CARRIER);
  t.equal(h.app.sipFrames().length, 2, 'RSeq 11 is next in order');
});

t.test('ReliableProvisionals on its own: RAck must match RSeq, CSeq and method; parseRAck', async (t) => {
  const clock = new FakeClock();
  const sent: SipResponse[] = [];
  const timeouts: boolean[] = [];
  const rp = new ReliableProvisionals(clock, 500, 7, { send: (r) => void sent.push(r), onTimeout: (held) => void timeouts.push(held) });
  const req = { kind: 'request' as const, method: 'INVITE', uri: 'sip:x', version: 'SIP/2.0', headers: new SipHeaders(), body: Buffer.alloc(0) };
  rp.provisional(buildResponse(req, 180, 'Ringing'));
  const rseq = Number(sent[0]!.headers.get('rseq'));
  t.notOk(rp.prack({ rseq, cseq: 8, method: 'INVITE' }), 'wrong CSeq');
  t.notOk(rp.prack({ rseq, cseq: 7, method: 'UPDATE' }), 'wrong method');
  t.ok(rp.prack({ rseq, cseq: 7, method: 'INVITE' }));
  t.notOk(rp.prack({ rseq, cseq: 7, method: 'INVITE' }), 'only once');
  t.equal(rp.final(buildResponse(req, 200, 'OK')), 'send');
  t.same(timeouts, []);
  t.same(parseRAck('776656 1 INVITE'), { rseq: 776656, cseq: 1, method: 'INVITE' });
  t.equal(parseRAck('x 1 INVITE'), undefined);
  t.equal(clock.pending(), 0);
});
