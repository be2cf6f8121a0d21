/**
 * Engine core on the fake clock: the answers the engine gives itself to new requests (RFC 3261 §8.2:
 * 405/501, 416, 420, 415, 406) and RFC 2543 transaction matching (§17.2.3) for requests without an
 * RFC 3261 branch.
 */
import t from 'tap';
import { CoreHarness, peerRequest, SDP, toTag } from '../helpers/engine-core-harness';
import { requestServerKey } from '../../src/engine/transaction/keys';
import { parseMessage } from '../../src/sip/parser';
import type { SipRequest, SipResponse } from '../../src/sip/message';

const status = (r: SipResponse): number => r.status;
const last = (h: CoreHarness): SipResponse => h.responses().at(-1)!;
const NO_BRANCH = 'SIP/2.0/UDP 127.0.0.2:5070';
const T1 = 500; // the harness runs the default timers

t.test('methods no app serves: 405 with Allow; methods SIP does not define: 501; no app at all: 503', async (t) => {
  const h = new CoreHarness();
  h.routes.delete('message');
  for (const method of ['REGISTER', 'MESSAGE', 'SUBSCRIBE']) {
    h.receive(peerRequest({ method, callId: `m-${method}` }));
    t.equal(status(last(h)), 405, `${method} → 405`);
    t.equal(last(h).headers.get('allow'), 'INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO', `${method}: Allow lists what is served`);
  }
  h.receive(peerRequest({ method: 'FOO', callId: 'm-foo' }));
  t.equal(status(last(h)), 501, 'an unknown method → 501');
  t.ok(last(h).headers.get('allow'), '501 carries Allow too');
  h.receive(peerRequest({ method: 'NOTIFY', callId: 'm-n', toTag: undefined }));
  t.equal(status(last(h)), 405);
  h.routes.delete('bye');
  h.receive(peerRequest({ method: 'BYE', callId: 'm-bye' }));
  t.equal(status(last(h)), 481, 'a BYE outside any dialog: 481, not 405 with Allow: BYE');
  t.equal(h.app.sipFrames().length, 0, 'none of them reached the app');
  h.routes.clear();
  h.receive(peerRequest({ method: 'REGISTER', callId: 'm-none' }));
  t.equal(status(last(h)), 503, 'no application connected at all: the engine is the one unavailable');
  h.clock.advance(40_000);
  t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
});

t.test('unusual but legal method tokens are parsed and reach the app when routed', async (t) => {
  const h = new CoreHarness();
  const method = "!interesting-Method0123456789_*+`.%indeed'~";
  h.receive(peerRequest({ method, callId: 'odd' }));
  t.equal(status(last(h)), 501, 'not routed: 501, not 400');
  t.match(last(h).headers.get('cseq') ?? '', method);
});

t.test('Require / Proxy-Require with an extension the engine lacks → 420 with Unsupported; 100rel and timer pass', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'r1', extra: ['Require: foo, 100rel', 'Proxy-Require: bar'] }));
  t.equal(status(last(h)), 420);
  t.equal(last(h).headers.get('unsupported'), 'foo, bar');
  h.receive(peerRequest({ callId: 'r2', body: SDP, extra: ['Require: 100rel, timer', 'Session-Expires: 1800'] }));
  t.match(h.app.lastSip().sip, /^INVITE /, 'supported extensions: the INVITE reaches the app');
});

t.test('Request-URI: unknown scheme → 416, tel: passes, headers in it → 400', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'u1', uri: 'nobodyKnowsThisScheme:opaque' }));
  t.equal(status(last(h)), 416);
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'u2', uri: 'im:someone@example.com' }));
  t.equal(status(last(h)), 416);
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'u3', uri: 'sip:a@example.com?Route=%3Csip:x%3E' }));
  t.equal(status(last(h)), 400);
  t.match(last(h).reason, /headers/);
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'u4', uri: 'tel:+15551234' }));
  t.equal(h.app.sipFrames().length, 1, 'tel: reaches the app');
});

t.test('Request-URI with a broken %-escape (%zz, a cut-off %4) → 400 before any app; a valid escape passes', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'z1', body: SDP, uri: 'sip:+4930%zz@127.0.0.1' }));
  t.equal(status(last(h)), 400);
  t.match(last(h).reason, /Request-URI/);
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'z2', uri: 'sip:+4930%4@127.0.0.1' }));
  t.equal(status(last(h)), 400);
  t.equal(h.app.sipFrames().length, 0, 'nothing reached the app');
  h.receive(peerRequest({ callId: 'z3', body: SDP, uri: 'sip:+4930%41@127.0.0.1' }));
  t.match(h.app.lastSip().sip, /^INVITE sip:\+4930%41@/, 'a valid escape reaches the app');
});

t.test('Content-Encoding other than identity → 415 with Accept-Encoding', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'e1', body: SDP, extra: ['Content-Encoding: gzip'] }));
  t.same(h.responses().map(status), [100, 415]);
  t.equal(last(h).headers.get('accept-encoding'), 'identity');
  h.receive(peerRequest({ callId: 'e2', body: SDP, extra: ['e: identity'] }));
  t.match(h.app.lastSip().sip, /^INVITE /);
});

t.test('INVITE whose Accept excludes SDP → 406; application/*, */* or no Accept pass', async (t) => {
  const h = new CoreHarness();
  for (const [accept, want] of [['text/nobodyKnowsThis', 406], ['application/sdp;q=0', 406], ['application/*', 0], ['text/plain, */*', 0]] as const) {
    const before = h.app.sipFrames().length;
    h.receive(peerRequest({ callId: `a-${accept}`, body: SDP, extra: [`Accept: ${accept}`] }));
    if (want) t.equal(status(last(h)), want, `Accept: ${accept}`);
    else t.equal(h.app.sipFrames().length, before + 1, `Accept: ${accept} reaches the app`);
  }
  h.receive(peerRequest({ method: 'OPTIONS', callId: 'a-opt', extra: ['Accept: text/plain'] }));
  t.match(h.app.lastSip().sip, /^OPTIONS /, 'OPTIONS is not held to SDP');
});

const req = (text: string): SipRequest => {
  const p = parseMessage(Buffer.from(text));
  if (!p.ok || p.message.kind !== 'request') throw new Error('test request did not parse');
  return p.message;
};

t.test('transaction keys: RFC 3261 branch + sent-by + method; without one, RFC 2543 fields (§17.2.3)', async (t) => {
  const a = req(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'k1' }));
  const b = req(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'k2' }));
  t.not(requestServerKey(a, 'OPTIONS'), requestServerKey(b, 'OPTIONS'), 'two requests without a branch are two transactions');
  t.equal(requestServerKey(a, 'OPTIONS'), requestServerKey(req(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'k1' })), 'OPTIONS'), 'a retransmission matches');
  const cseq2 = req(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'k1', cseq: 2 }));
  t.not(requestServerKey(a, 'OPTIONS'), requestServerKey(cseq2, 'OPTIONS'), 'CSeq number counts');
  const bare = req(peerRequest({ method: 'OPTIONS', via: `${NO_BRANCH};branch=z9hG4bK`, callId: 'k3' }));
  const bare2 = req(peerRequest({ method: 'OPTIONS', via: `${NO_BRANCH};branch=z9hG4bK`, callId: 'k4' }));
  t.not(requestServerKey(bare, 'OPTIONS'), requestServerKey(bare2, 'OPTIONS'), 'a bare magic cookie is no RFC 3261 branch (RFC 4475 §3.2.1)');
  const inv = req(peerRequest({ via: NO_BRANCH, callId: 'k5' }));
  const ack = req(peerRequest({ method: 'ACK', via: NO_BRANCH, callId: 'k5', toTag: 'ours' }));
  t.equal(requestServerKey(ack, 'INVITE'), requestServerKey(inv, 'INVITE'), 'the ACK (with our To tag) matches its INVITE');
  const x1 = req(peerRequest({ method: 'OPTIONS', branch: 'z9hG4bKsame', callId: 'k6' }));
  const x2 = req(peerRequest({ method: 'OPTIONS', branch: 'z9hG4bKsame', callId: 'k7' }));
  t.equal(requestServerKey(x1, 'OPTIONS'), requestServerKey(x2, 'OPTIONS'), 'with an RFC 3261 branch only branch, sent-by and method count');
});

t.test('RFC 2543 clients: requests without a branch are separate transactions; ACK and CANCEL find their INVITE', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'o1' }));
  h.receive(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'o2' }));
  t.equal(h.app.sipFrames().length, 2, 'both OPTIONS reach the app (not absorbed as retransmissions of one key)');
  h.receive(peerRequest({ method: 'OPTIONS', via: NO_BRANCH, callId: 'o2' }));
  t.equal(h.app.sipFrames().length, 2, 'a retransmission is absorbed');
  for (const f of h.app.sipFrames()) h.appSip(f.tokens[8]!, '', 'SIP/2.0 200 OK\r\n\r\n');
  t.same(h.responses(200, 'OPTIONS').map((r) => r.headers.get('call-id')), ['o1', 'o2'], 'each answered in its own transaction');

  h.receive(peerRequest({ via: NO_BRANCH, callId: 'i1', body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', 'SIP/2.0 480 Temporarily Unavailable\r\n\r\n');
  const tag = toTag(h.responses(480)[0]!);
  h.receive(peerRequest({ method: 'ACK', via: NO_BRANCH, callId: 'i1', toTag: 'not-ours' }));
  h.clock.advance(T1 + 10);
  t.equal(h.responses(480).length, 2, 'an ACK with another To tag is not ours: timer G keeps re-sending');
  h.receive(peerRequest({ method: 'ACK', via: NO_BRANCH, callId: 'i1', toTag: tag }));
  h.clock.advance(5000);
  t.equal(h.responses(480).length, 2, 'the ACK stopped timer G: no more 480 retransmissions');
  t.equal(h.app.sipFrames().filter((f) => /^ACK /.test(f.sip)).length, 0, 'the ACK for a non-2xx stays in the transaction');

  h.receive(peerRequest({ via: NO_BRANCH, callId: 'i2', body: SDP }));
  h.receive(peerRequest({ method: 'CANCEL', via: NO_BRANCH, callId: 'i2' }));
  t.same(h.responses().slice(-2).map(status), [200, 487], 'CANCEL matched its INVITE: 200 and 487');
  h.clock.advance(40_000);
  t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
});

t.test('inside a dialog: a re-INVITE requiring an unknown extension → 420, the dialog stays; BYE is never refused', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ callId: 'd1', body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  const tag = toTag(h.responses(200)[0]!);
  h.receive(peerRequest({ method: 'ACK', callId: 'd1', toTag: tag, branch: 'z9hG4bKd1ack' }));
  const frames = h.app.sipFrames().length;
  h.receive(peerRequest({ callId: 'd1', toTag: tag, cseq: 2, body: SDP, extra: ['Require: precondition'] }));
  t.equal(status(last(h)), 420);
  t.equal(last(h).headers.get('unsupported'), 'precondition');
  t.equal(h.app.sipFrames().length, frames, 'the app never saw it');
  t.equal(h.ctx.dialogs.size, 1, 'the dialog stays');
  h.receive(peerRequest({ method: 'BYE', callId: 'd1', toTag: tag, cseq: 3, extra: ['Require: precondition'] }));
  t.match(h.app.lastSip().sip, /^BYE /, 'the BYE reaches the app');
  t.equal(h.ctx.dialogs.size, 0);
});
