/**
 * An application disconnects with calls up (a worker killed -9). With behaviour.endCallsOfGoneApp the
 * engine ends them itself: both legs of a bridged call get a BYE, an INVITE still ringing gets a
 * CANCEL (only after a provisional, RFC 3261 §9.1), and nothing is left. Without it, the dialogs stay
 * (the engine's default and drachtio-server's behaviour).
 */
import t from 'tap';
import { CARRIER, CoreHarness, peerRequest, peerResponse, SDP, toTag, type HarnessOptions } from '../helpers/engine-core-harness';

const OUT_INVITE = `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

/** A bridged call as a B2BUA app makes it: the caller's INVITE answered 200 and ACKed (A leg), the app's INVITE to the carrier answered 200 and ACKed (B leg). */
async function bridgedCall(h: CoreHarness): Promise<void> {
  h.receive(peerRequest({ body: SDP }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  h.receive(peerRequest({ method: 'ACK', branch: 'z9hG4bKack-a', toTag: toTag(h.responses(200, 'INVITE')[0]!) }));
  const out = h.appSip('', '', OUT_INVITE);
  await h.flush();
  if (h.app.answer(out)?.tokens[3] !== 'OK') throw new Error('B-leg INVITE refused');
  const req = h.requests('INVITE').at(-1)!;
  h.receive(peerResponse(req, 200, { toTag: 'carrier1', contact: '<sip:callee@127.0.0.3:5080>', body: SDP }), CARRIER);
  const dlgId = h.app.lastSip().tokens[9]!;
  h.appSip('', dlgId, 'ACK sip:callee@127.0.0.3:5080 SIP/2.0\r\n\r\n');
  await h.flush();
}

const harness = (on: boolean): CoreHarness => new CoreHarness({ behaviour: { endCallsOfGoneApp: on } } satisfies HarnessOptions);

t.test('endCallsOfGoneApp: a bridged call — both legs get a BYE, with a Reason, and no dialog is left', async (t) => {
  const h = harness(true);
  await bridgedCall(h);
  t.equal(h.ctx.dialogs.size, 2, 'two confirmed dialogs (caller leg, carrier leg)');
  h.app.alive = false;
  h.core.onClientGone(h.app);
  await h.flush(); // the BYE's target is resolved asynchronously
  const byes = h.requests('BYE');
  t.equal(byes.length, 2, 'one BYE per leg');
  t.same(byes.map((b) => b.uri).sort(), ['sip:callee@127.0.0.3:5080', 'sip:peer@127.0.0.2:5070'].sort(), 'to the carrier and to the caller');
  t.ok(byes.every((b) => /Application disconnected/.test(b.headers.get('reason') ?? '')), 'Reason says why');
  t.equal(h.ctx.dialogs.size, 0, 'no dialog left');
});

t.test('endCallsOfGoneApp: an INVITE still ringing is CANCELled; before any provisional, only once one arrives', async (t) => {
  const h = harness(true);
  const ringing = h.appSip('', '', OUT_INVITE);
  const silent = h.appSip('', '', OUT_INVITE.replace('callee@', 'other@'));
  await h.flush();
  t.ok(h.app.answer(ringing) && h.app.answer(silent));
  const [first, second] = h.requests('INVITE');
  h.receive(peerResponse(first!, 180, { toTag: 'r1', contact: '<sip:callee@127.0.0.3:5080>' }), CARRIER);
  h.app.alive = false;
  h.core.onClientGone(h.app);
  t.same(h.requests('CANCEL').map((c) => c.uri), [first!.uri], 'the ringing one is CANCELled at once');
  h.receive(peerResponse(second!, 100), CARRIER);
  t.same(h.requests('CANCEL').map((c) => c.uri), [first!.uri, second!.uri], 'the other once its 100 Trying arrives');
  h.receive(peerResponse(first!, 487, { toTag: 'r1' }), CARRIER);
  h.receive(peerResponse(second!, 487, { toTag: 'r2' }), CARRIER);
  t.equal(h.ctx.dialogs.size, 0, 'no early dialog left');
});

t.test('endCallsOfGoneApp: a 200 crossing the CANCEL is ACKed and BYEd', async (t) => {
  const h = harness(true);
  const m = h.appSip('', '', OUT_INVITE);
  await h.flush();
  t.ok(h.app.answer(m));
  const req = h.requests('INVITE')[0]!;
  h.receive(peerResponse(req, 180, { toTag: 'x1', contact: '<sip:callee@127.0.0.3:5080>' }), CARRIER);
  h.app.alive = false;
  h.core.onClientGone(h.app);
  h.receive(peerResponse(req, 200, { toTag: 'x1', contact: '<sip:callee@127.0.0.3:5080>', body: SDP }), CARRIER);
  await h.flush();
  t.equal(h.requests('ACK').length, 1, 'ACK');
  t.equal(h.requests('BYE').length, 1, 'then BYE');
  t.equal(h.ctx.dialogs.size, 0);
});

t.test('default: the dialogs of a gone app stay (as drachtio-server leaves them)', async (t) => {
  const h = harness(false);
  await bridgedCall(h);
  h.app.alive = false;
  h.core.onClientGone(h.app);
  await h.flush();
  t.equal(h.requests('BYE').length, 0, 'no BYE');
  t.equal(h.ctx.dialogs.size, 2, 'both dialogs kept');
});
