/**
 * Engine core, UAC side, on the fake clock: a carrier's 2xx that drachtio-srf cannot turn into a
 * Dialog (a 2xx other than 200, or a 200 without a usable Contact). srf ACKs it and fails the
 * createUAC, so nobody would ever BYE it: the engine ends that dialog itself after the app's ACK
 * (RFC 3261 §13.2.2.4: a UAC that does not want the dialog ACKs and then BYEs it).
 */
import t from 'tap';
import { CARRIER, CoreHarness, peerResponse, SDP, toTag } from '../helpers/engine-core-harness';
import type { SipRequest } from '../../src/sip/message';

const INVITE = `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

async function appInvite(h: CoreHarness): Promise<SipRequest> {
  const msgId = h.appSip('', '', INVITE);
  await h.flush();
  if (h.app.answer(msgId)?.tokens[3] !== 'OK') throw new Error('INVITE refused');
  return h.requests('INVITE').at(-1)!;
}

const cases: Array<{ name: string; status: number; contact?: string; extra?: string[]; byeUri: string }> = [
  { name: '299 with a Contact', status: 299, contact: '<sip:callee@127.0.0.4:5080>', byeUri: 'sip:callee@127.0.0.4:5080' },
  { name: '299 without Contact', status: 299, byeUri: 'sip:callee@127.0.0.3:5080' },
  { name: '200 without Contact', status: 200, byeUri: 'sip:callee@127.0.0.3:5080' },
  { name: '200 with an empty Contact', status: 200, extra: ['Contact: '], byeUri: 'sip:callee@127.0.0.3:5080' },
  { name: '200 with a Contact that is not a name-addr', status: 200, extra: ['Contact: ;'], byeUri: 'sip:callee@127.0.0.3:5080' },
];

for (const k of cases) {
  t.test(`${k.name}: ACK from the app goes out, then the engine BYEs the dialog and forgets it`, async (t) => {
    const h = new CoreHarness();
    const req = await appInvite(h);
    h.receive(peerResponse(req, k.status, { toTag: 'u1', body: SDP, ...(k.contact ? { contact: k.contact } : {}), ...(k.extra ? { extra: k.extra } : {}) }), CARRIER);
    const dlgId = h.app.lastSip().tokens[9]!;
    t.equal(h.ctx.dialogs.size, 1, 'the dialog exists until the app ACKs');
    const ackMsg = h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
    await h.flush();
    t.equal(h.app.answer(ackMsg)!.tokens[3], 'OK', 'the app\'s ACK is sent');
    t.equal(h.requests('ACK').length, 1);
    const bye = h.requests('BYE')[0];
    t.ok(bye, 'BYE sent after the ACK');
    t.equal(bye?.uri, k.byeUri, 'BYE to the remote target (the Contact, or else the INVITE\'s Request-URI)');
    t.equal(bye && toTag(bye), 'u1');
    t.match(bye?.headers.get('reason') ?? '', /^SIP ;cause=200 ;text=/);
    t.equal(h.ctx.dialogs.size, 0, 'dialog gone');
    h.receive(peerResponse(bye!, 200), CARRIER);
    h.clock.advance(40_000);
    t.same(h.counts(), { dialogs: 0, server: 0, client: 0 }, 'transactions and dialogs back to 0');
  });
}

t.test('a usable 200 (with Contact) is left to the app', async (t) => {
  const h = new CoreHarness();
  const req = await appInvite(h);
  h.receive(peerResponse(req, 200, { toTag: 'ok', contact: '<sip:callee@127.0.0.3:5080>', body: SDP }), CARRIER);
  const dlgId = h.app.lastSip().tokens[9]!;
  h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
  await h.flush();
  t.equal(h.requests('BYE').length, 0);
  t.equal(h.ctx.dialogs.size, 1);
});
