/**
 * The application hangs up a dialog whose remote target cannot be routed (a carrier's 200 with a
 * `tel:` Contact, or a transport we do not speak): the engine cannot send the BYE and says so (NOK),
 * and drachtio-srf forgets its Dialog on that error — so the engine must forget it too, or nothing
 * would ever end it (fuzz/findings.md #8: a dialog left after the fuzz run, its call long over).
 */
import t from 'tap';
import { CARRIER, CoreHarness, peerResponse, SDP } from '../helpers/engine-core-harness';

const INVITE = `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

for (const contact of ['<tel:+4930123>', '<sip:callee@127.0.0.3:5080;transport=sctp>']) {
  t.test(`BYE from the app to ${contact}: NOK, and the dialog is gone`, async (t) => {
    const h = new CoreHarness();
    const { sent, dialogId: dlgId } = await h.uacAnswered(INVITE, 200, { toTag: 'c1', contact, body: SDP });
    t.equal(sent, 'OK');
    t.equal(h.ctx.dialogs.size, 1, 'dialog formed on the 200');
    const bye = h.appSip('', dlgId, 'BYE sip:placeholder SIP/2.0\r\n\r\n');
    await h.flush();
    t.equal(h.app.answer(bye)?.tokens[3], 'NOK', 'the BYE cannot be sent: NOK');
    t.equal(h.ctx.dialogs.size, 0, 'the dialog is forgotten with it');
    h.clock.advance(64 * 500 + 6000);
    t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
  });
}

t.test('an in-dialog request other than BYE that cannot be routed leaves the dialog alone', async (t) => {
  const h = new CoreHarness();
  h.appSip('', '', INVITE);
  await h.flush();
  const req = h.requests('INVITE').at(-1)!;
  h.receive(peerResponse(req, 200, { toTag: 'c2', contact: '<tel:+4930123>', body: SDP }), CARRIER);
  const dlgId = h.app.lastSip().tokens[9]!;
  const info = h.appSip('', dlgId, 'INFO sip:placeholder SIP/2.0\r\n\r\n');
  await h.flush();
  t.equal(h.app.answer(info)?.tokens[3], 'NOK');
  t.equal(h.ctx.dialogs.size, 1, 'still held: the app did not end it');
});
