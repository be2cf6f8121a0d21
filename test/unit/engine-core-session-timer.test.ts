/** RFC 4028 session timers: the negotiation rules (pure) and the timers in the engine core (fake clock). */
import t from 'tap';
import { CARRIER, CoreHarness, peerRequest, peerResponse, SDP, toTag } from '../helpers/engine-core-harness';
import { decideUac, decideUas, hasOptionTag, parseSessionExpires, rejectTooSmall, timerDelayMs } from '../../src/engine/core/session-timer';
import { SipHeaders, type SipRequest, type SipResponse } from '../../src/sip/message';

const SETTINGS = { minSE: 90, defaultRefresher: 'none' as const };
const req = (...h: Array<[string, string]>): SipRequest => ({ kind: 'request', method: 'INVITE', uri: 'sip:x', version: 'SIP/2.0', headers: new SipHeaders(h.map(([name, value]) => ({ name, value }))), body: Buffer.alloc(0) });
const res = (...h: Array<[string, string]>): SipResponse => ({ kind: 'response', status: 200, reason: 'OK', version: 'SIP/2.0', headers: new SipHeaders(h.map(([name, value]) => ({ name, value }))), body: Buffer.alloc(0) });

t.test('parsing: Session-Expires (compact x), option tags in lists', async (t) => {
  t.same(parseSessionExpires(new SipHeaders([{ name: 'x', value: '1800;refresher=UAS' }])), { delta: 1800, refresher: 'uas' });
  t.same(parseSessionExpires(new SipHeaders([{ name: 'Session-Expires', value: '120' }])), { delta: 120, refresher: undefined });
  t.equal(parseSessionExpires(new SipHeaders([{ name: 'Session-Expires', value: 'soon' }])), undefined);
  t.ok(hasOptionTag(new SipHeaders([{ name: 'Supported', value: 'replaces, timer' }]), 'supported', 'timer'));
  t.notOk(hasOptionTag(new SipHeaders([{ name: 'Supported', value: 'timers' }]), 'supported', 'timer'));
});

t.test('422 only when the UAC supports timers and offers less than Min-SE', async (t) => {
  t.equal(rejectTooSmall(req(['Supported', 'timer'], ['Session-Expires', '60']), SETTINGS), 90);
  t.equal(rejectTooSmall(req(['Session-Expires', '60']), SETTINGS), undefined, 'no Supported: timer → raise instead');
  t.equal(rejectTooSmall(req(['Supported', 'timer'], ['Session-Expires', '90']), SETTINGS), undefined);
});

t.test('UAS decisions: the app\'s header wins; the request\'s refresher; default refresher; non-supporting UAC', async (t) => {
  t.same(decideUas(req(['Supported', 'timer'], ['Session-Expires', '600;refresher=uac']), res(['Session-Expires', '300;refresher=uas']), SETTINGS, undefined),
    { intervalSec: 300, weRefresh: true, add: [{ name: 'Require', value: 'timer' }] });
  t.same(decideUas(req(['Supported', 'timer'], ['Session-Expires', '600;refresher=uac']), res(), SETTINGS, undefined),
    { intervalSec: 600, weRefresh: false, add: [{ name: 'Session-Expires', value: '600;refresher=uac' }, { name: 'Require', value: 'timer' }] });
  t.equal(decideUas(req(['Supported', 'timer'], ['Session-Expires', '600']), res(), SETTINGS, undefined), undefined, 'no refresher named, default none: no timer (drachtio)');
  t.same(decideUas(req(['Supported', 'timer'], ['Session-Expires', '600']), res(), { ...SETTINGS, defaultRefresher: 'uas' }, undefined)?.weRefresh, true);
  t.same(decideUas(req(['Session-Expires', '30']), res(), SETTINGS, undefined),
    { intervalSec: 90, weRefresh: true, add: [{ name: 'Session-Expires', value: '90;refresher=uas' }] }, 'raised to Min-SE, we refresh');
  t.equal(decideUas(req(), res(), SETTINGS, undefined), undefined, 'nothing offered, nothing running');
});

t.test('UAC decisions and timer delays', async (t) => {
  t.same(decideUac(res(['Session-Expires', '1800;refresher=uac']), undefined), { intervalSec: 1800, weRefresh: true });
  t.same(decideUac(res(['Session-Expires', '1800']), undefined), { intervalSec: 1800, weRefresh: true });
  t.same(decideUac(res(['Session-Expires', '1800;refresher=uas']), undefined), { intervalSec: 1800, weRefresh: false });
  t.equal(decideUac(res(), undefined), undefined);
  t.equal(timerDelayMs(1800, true), 900_000, 'refresher: half');
  t.equal(timerDelayMs(1800, false), (1800 - 32) * 1000, 'other side: expiry − min(32, SE/3)');
  t.equal(timerDelayMs(90, false), 60_000);
});

const MIN = 90;
function answered(h: CoreHarness, se: string, supported = true): string {
  h.receive(peerRequest({ branch: 'z9hG4bKst', body: SDP, extra: [...(supported ? ['Supported: timer'] : []), `Session-Expires: ${se}`] }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', `SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  const tag = toTag(h.responses(200)[0]!);
  h.receive(peerRequest({ method: 'ACK', branch: 'z9hG4bKsta', toTag: tag }));
  return tag;
}

t.test('UAS, peer refreshes then stops: BYE "Session timer expired" at SE − min(32, SE/3); app told', async (t) => {
  const h = new CoreHarness();
  const tag = answered(h, `${MIN};refresher=uac`);
  t.equal(h.responses(200)[0]!.headers.get('session-expires'), '90;refresher=uac');
  t.equal(h.responses(200)[0]!.headers.get('require'), 'timer');
  h.clock.advance(50_000);
  h.receive(peerRequest({ branch: 'z9hG4bKref', toTag: tag, cseq: 2, body: SDP, extra: ['Supported: timer', `Session-Expires: ${MIN};refresher=uac`] }));
  const re = h.app.lastSip().tokens[8]!;
  h.appSip(re, '', `SIP/2.0 200 OK\r\n\r\n${SDP}`);
  t.equal(h.responses(200, 'INVITE')[1]!.headers.get('session-expires'), '90;refresher=uac', 'the refresh is answered with Session-Expires too');
  h.receive(peerRequest({ method: 'ACK', branch: 'z9hG4bKrefa', toTag: tag, cseq: 2 }));
  h.clock.advance(59_999);
  await h.flush();
  t.equal(h.requests('BYE').length, 0, 'the refresh restarted the timer');
  h.clock.advance(1);
  await h.flush();
  t.equal(h.requests('BYE')[0]!.headers.get('reason'), 'SIP ;cause=200 ;text="Session timer expired"');
  t.equal(h.app.lastSip().tokens[8], 'unsolicited');
  t.equal(h.ctx.dialogs.size, 0);
});

t.test('UAS, we refresh: re-INVITE with the last SDP at half; 200 re-arms; 491 retries in 2.1–4 s; 422 retries larger; 408 → BYE', async (t) => {
  const h = new CoreHarness();
  answered(h, `${MIN};refresher=uas`);
  h.clock.advance(45_000);
  await h.flush();
  const r1 = h.requests('INVITE')[0]!;
  t.equal(r1.headers.get('session-expires'), '90;refresher=uac');
  t.equal(r1.headers.get('min-se'), '90');
  t.equal(r1.body.toString(), SDP, 'the SDP we last sent');
  h.receive(peerResponse(r1, 200, { body: SDP, contact: '<sip:peer@127.0.0.2:5070>', extra: ['Session-Expires: 90;refresher=uac'] }));
  t.equal(h.requests('ACK').length, 1, 'the engine ACKs its own refresh');
  t.equal(h.app.sipFrames().filter((f) => f.message?.kind === 'response').length, 0, 'the app never hears of it');
  h.clock.advance(45_000);
  await h.flush();
  const r2 = h.requests('INVITE')[1]!;
  h.receive(peerResponse(r2, 491));
  h.clock.advance(4_000);
  await h.flush();
  const r3 = h.requests('INVITE')[2]!;
  t.ok(r3, 'retried after glare');
  h.receive(peerResponse(r3, 422, { extra: ['Min-SE: 120'] }));
  h.clock.advance(1);
  await h.flush();
  const r4 = h.requests('INVITE')[3]!;
  t.equal(r4.headers.get('session-expires'), '120;refresher=uac', 'retried with the peer\'s Min-SE');
  h.clock.advance(32_000); // no answer: timer B
  await h.flush();
  t.equal(h.requests('BYE')[0]!.headers.get('reason'), 'SIP ;cause=200 ;text="Session timer expired"');
});

t.test('UAC (carrier leg): 2xx with refresher=uas, the carrier never refreshes → BYE to the carrier', async (t) => {
  const h = new CoreHarness();
  h.appSip('', '', `INVITE sip:callee@127.0.0.3:5080 SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
  await h.flush();
  const inv = h.requests('INVITE')[0]!;
  h.receive(peerResponse(inv, 200, { toTag: 'st1', contact: '<sip:callee@127.0.0.3:5080>', body: SDP, extra: ['Session-Expires: 120;refresher=uas'] }), CARRIER);
  h.clock.advance((120 - 32) * 1000);
  await h.flush();
  const bye = h.requests('BYE')[0]!;
  t.equal(bye.uri, 'sip:callee@127.0.0.3:5080');
  t.equal(h.app.lastSip().tokens[8], 'unsolicited');
});

t.test('UPDATE refresh when there is no SDP to re-offer; Session-Expires too small in a re-INVITE → 422', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ branch: 'z9hG4bKns', extra: ['Supported: timer', 'Session-Expires: 100;refresher=uas'] }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', 'SIP/2.0 200 OK\r\n\r\n');
  const tag = toTag(h.responses(200)[0]!);
  h.receive(peerRequest({ method: 'ACK', branch: 'z9hG4bKnsa', toTag: tag }));
  h.receive(peerRequest({ branch: 'z9hG4bKsmall', toTag: tag, cseq: 2, extra: ['Supported: timer', 'Session-Expires: 30'] }));
  t.equal(h.responses(422)[0]!.headers.get('min-se'), '90');
  h.clock.advance(50_000);
  await h.flush();
  t.equal(h.requests('UPDATE').length, 1, 'UPDATE without a body');
  t.equal(h.requests('INVITE').length, 0);
});
