/**
 * Fuzz finding #12 (npm run fuzz --seed 1, 630,000 messages): drachtio-srf printed
 * "Error: failed to parse sip message … unable to parse echoed sent request" (11 non-JSON log lines).
 * Cause: a carrier's 2xx whose Contact URI holds whitespace (a space, or a VT/FF/NBSP a bit flip makes)
 * was accepted — the parser checks Contact in requests only — and became the dialog's remote target.
 * Every in-dialog request of that dialog then carried it in its Request-Line, which srf's parser
 * (`[^\s]+` for the Request-URI) cannot read: the echo of the app's ACK/BYE and the engine's own BYE
 * reported to the app. Now a 2xx whose Contact is not a well-formed name-addr (RFC 3261 §25.1: no
 * whitespace inside the URI) is unusable like one without Contact: the remote target stays the
 * INVITE's Request-URI, the app's ACK goes out, then the engine BYEs it (RFC 3261 §13.2.2.4).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { CARRIER, CoreHarness, peerResponse, SDP } from '../helpers/engine-core-harness';
import type { SipRequest } from '../../src/sip/message';

// drachtio-srf's own SIP parser, the one that printed the lines (no types shipped for this file).
const SrfSipMessage = createRequire(__filename)('drachtio-srf/lib/sip-parser/message.js') as new (raw: string) => object;
const srfParses = (sip: string): boolean => {
  try {
    new SrfSipMessage(sip);
    return true;
  } catch {
    return false;
  }
};

const INVITE = `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;

async function appInvite(h: CoreHarness): Promise<SipRequest> {
  const msgId = h.appSip('', '', INVITE);
  await h.flush();
  if (h.app.answer(msgId)?.tokens[3] !== 'OK') throw new Error('INVITE refused');
  return h.requests('INVITE').at(-1)!;
}

for (const [name, contact] of [['a space', '<sip:callee x@127.0.0.4:5080>'], ['a vertical tab', '<sip:callee\x0bx@127.0.0.4:5080>'], ['a form feed in a parameter', '<sip:callee@127.0.0.4:5080;a=\x0c>']] as const) {
  t.test(`a carrier 200 whose Contact URI holds ${name}: nothing srf cannot parse reaches it`, async (t) => {
    const h = new CoreHarness();
    const req = await appInvite(h);
    h.receive(peerResponse(req, 200, { toTag: 'w1', body: SDP, contact }), CARRIER);
    const dlgId = h.app.lastSip().tokens[9]!;
    const ackMsg = h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
    await h.flush();
    t.equal(h.app.answer(ackMsg)?.tokens[3], 'OK', 'the app\'s ACK is sent');
    t.equal(h.requests('ACK')[0]?.uri, 'sip:callee@127.0.0.3:5080', 'ACK to the INVITE\'s Request-URI, not the unusable Contact');
    const bye = h.requests('BYE')[0];
    t.equal(bye?.uri, 'sip:callee@127.0.0.3:5080', 'then the engine BYEs the dialog there');
    const unreadable = h.app.frames.filter((f) => f.sip && !srfParses(f.sip)).map((f) => f.sip.split('\r\n')[0]);
    t.same(unreadable, [], 'every SIP text given to the app parses with drachtio-srf\'s parser');
    h.receive(peerResponse(bye!, 200), CARRIER);
    h.clock.advance(40_000);
    t.same(h.counts(), { dialogs: 0, server: 0, client: 0 }, 'transactions and dialogs back to 0');
  });
}

t.test('a 2xx to a re-INVITE whose Contact URI holds a space does not refresh the remote target', async (t) => {
  const h = new CoreHarness();
  const req = await appInvite(h);
  h.receive(peerResponse(req, 200, { toTag: 'w2', body: SDP, contact: '<sip:callee@127.0.0.4:5080>' }), CARRIER);
  const dlgId = h.app.lastSip().tokens[9]!;
  h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
  await h.flush();
  h.appSip('', dlgId, `INVITE sip:placeholder SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const reinvite = h.requests('INVITE').at(-1)!;
  t.equal(reinvite.uri, 'sip:callee@127.0.0.4:5080', 're-INVITE to the Contact of the first 200');
  h.receive(peerResponse(reinvite, 200, { toTag: 'w2', body: SDP, contact: '<sip:callee x@127.0.0.5:5080>' }), CARRIER);
  h.appSip('', dlgId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
  h.appSip('', dlgId, 'BYE sip:placeholder SIP/2.0\r\n\r\n');
  await h.flush();
  t.equal(h.requests('BYE')[0]?.uri, 'sip:callee@127.0.0.4:5080', 'BYE still to the last usable Contact');
  const unreadable = h.app.frames.filter((f) => f.sip && !srfParses(f.sip)).map((f) => f.sip.split('\r\n')[0]);
  t.same(unreadable, [], 'every SIP text given to the app parses with drachtio-srf\'s parser');
});
