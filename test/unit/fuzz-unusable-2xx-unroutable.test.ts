/**
 * Engine core, UAC side, on the fake clock (fuzz/findings.md #16): a carrier's 2xx that drachtio-srf
 * cannot hold (no usable Contact, or not a 200) AND whose dialog cannot be routed (a Record-Route the
 * fuzz carrier's `route` mutation damaged, or a tel: Contact). srf ACKs it; the engine cannot send that
 * ACK, answers NOK — and kept the dialog it meant to BYE after the ACK, for ever: the 2 UAC dialogs
 * left by the 630,000-message run (confirmed, remote target = the INVITE's Request-URI, no call).
 * Nothing can reach the peer, and nobody else holds the dialog: the engine forgets it.
 */
import t from 'tap';
import { CARRIER, CoreHarness, peerResponse, SDP } from '../helpers/engine-core-harness';

const INVITE = `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

const cases: Array<{ name: string; status: number; contact?: string; extra?: string[] }> = [
  { name: '200 without Contact, Record-Route over SCTP', status: 200, extra: ['Record-Route: <sip:proxy@127.0.0.9:5060;transport=sctp;lr>'] },
  { name: '299 with a tel: Contact', status: 299, contact: '<tel:+4930123>' },
];

for (const k of cases) {
  t.test(`${k.name}: the app's ACK cannot be sent (NOK) and the dialog is forgotten`, async (t) => {
    const h = new CoreHarness();
    const { sent, dialogId: dlgId } = await h.uacAnswered(INVITE, k.status, { toTag: 'r1', body: SDP, ...(k.contact ? { contact: k.contact } : {}), ...(k.extra ? { extra: k.extra } : {}) });
    t.equal(sent, 'OK');
    t.equal(h.ctx.dialogs.size, 1, 'dialog formed on the 2xx');
    const ack = h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
    await h.flush();
    t.equal(h.app.answer(ack)?.tokens[3], 'NOK', 'the ACK cannot be routed: NOK');
    t.equal(h.ctx.dialogs.size, 0, 'the dialog is forgotten');
    h.clock.advance(64 * 500 + 6000);
    t.same(h.counts(), { dialogs: 0, server: 0, client: 0 }, 'transactions and dialogs back to 0');
  });
}

t.test('a usable 200 whose route set cannot be routed: the dialog stays the app\'s (it ends it with a BYE)', async (t) => {
  const h = new CoreHarness();
  h.appSip('', '', INVITE);
  await h.flush();
  const req = h.requests('INVITE').at(-1)!;
  h.receive(peerResponse(req, 200, { toTag: 'r2', contact: '<sip:callee@127.0.0.3:5080>', body: SDP, extra: ['Record-Route: <sip:proxy@127.0.0.9:5060;transport=sctp;lr>'] }), CARRIER);
  const dlgId = h.app.lastSip().tokens[9]!;
  const ack = h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
  await h.flush();
  t.equal(h.app.answer(ack)?.tokens[3], 'NOK');
  t.equal(h.ctx.dialogs.size, 1, 'still held: srf holds a Dialog for it and BYEs it (engine-core-bye-unroutable)');
});
