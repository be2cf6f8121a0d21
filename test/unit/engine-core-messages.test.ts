/** Pure helpers of the engine core: header normalisation, app message parsing, request building, targets, dialogs. */
import t from 'tap';
import { bracketAddress, capitaliseAfterDash, normaliseAppHeader, normaliseAppHeaders } from '../../src/engine/core/header-normalise';
import { ensureContentType, parseAppMessage, replaceLocalhost } from '../../src/engine/core/app-message';
import { buildCancel, buildInitialRequest, maxForwardsFor } from '../../src/engine/core/request-builder';
import { dialogUriTarget, resolveDialogTarget, uriTarget } from '../../src/engine/core/targets';
import { createDialog, DialogStore } from '../../src/engine/dialog/dialog';
import { SipHeaders } from '../../src/sip/message';
import { LOCAL_UDP } from '../helpers/engine-core-harness';

t.test('header normalisation as drachtio-server (makeTags + sofia)', async (t) => {
  t.same(normaliseAppHeader({ name: 'contact', value: 'sip:u@h:5060' }), { name: 'Contact', value: '<sip:u@h:5060>' });
  t.same(normaliseAppHeader({ name: 'Contact', value: 'sip:u@h:5060;expires=60' }), { name: 'Contact', value: '<sip:u@h:5060>;expires=60' });
  t.same(normaliseAppHeader({ name: 'm', value: 'sip:a@b, "Bob" <sip:c@d>' }), { name: 'Contact', value: '<sip:a@b>, "Bob" <sip:c@d>' });
  t.same(normaliseAppHeader({ name: 'Contact', value: '*' }), { name: 'Contact', value: '*' });
  t.same(normaliseAppHeader({ name: 'p-asserted-identity', value: 'sip:+1555@x' }), { name: 'P-Asserted-Identity', value: '<sip:+1555@x>' });
  t.same(normaliseAppHeader({ name: 'call-id', value: 'abc' }), { name: 'Call-ID', value: 'abc' });
  t.same(normaliseAppHeader({ name: 'session-expires', value: '90' }), { name: 'Session-Expires', value: '90' });
  t.same(normaliseAppHeader({ name: 'my-custom-header', value: 'v' }), { name: 'My-Custom-Header', value: 'v' });
  t.same(normaliseAppHeader({ name: 'x-lower', value: 'v' }), { name: 'x-lower', value: 'v' });
  t.same(normaliseAppHeader({ name: 'To', value: '"A, B" sip:x@y' }), { name: 'To', value: '"A, B" sip:x@y' }, 'a quoted name without <> is left alone');
  for (const drop of ['Via', 'Route', 'RSeq', 'Record-Route', 'Content-Length', 'v', 'l']) t.equal(normaliseAppHeader({ name: drop, value: 'x' }), undefined, `${drop} belongs to the stack`);
  t.equal(normaliseAppHeader({ name: 'Bad Name', value: 'x' }), undefined, 'not a token');
  t.equal(normaliseAppHeader({ name: 'X-A', value: 'a\r\nInjected: 1' }), undefined, 'CR/LF in a value');
  t.equal(normaliseAppHeaders([{ name: 'Via', value: 'x' }, { name: 'Subject', value: 's' }]).length, 1);
  t.equal(capitaliseAfterDash('foo-bar'), 'Foo-Bar');
  t.equal(bracketAddress('tel:+1555'), '<tel:+1555>');
  t.equal(bracketAddress('not a uri'), 'not a uri');
});

t.test('app messages: start line, folding, body, LF-only; localhost replacement; content type detection', async (t) => {
  const m = parseAppMessage('INVITE sip:a@b SIP/2.0\nX-A: 1\n  continued\nbogus line\n\nv=0\r\n')!;
  t.same(m.start, { kind: 'request', method: 'INVITE', uri: 'sip:a@b' });
  t.equal(m.headers.get('x-a'), '1 continued');
  t.equal(m.body.toString(), 'v=0\r\n');
  t.same(parseAppMessage('SIP/2.0 486 Busy Here\r\n\r\n')!.start, { kind: 'response', status: 486, reason: 'Busy Here' });
  t.equal(parseAppMessage('HELLO'), undefined);
  t.equal(parseAppMessage('SIP/2.0 abc\r\n\r\n'), undefined);
  t.equal(replaceLocalhost('<sip:1234@localhost>', '10.0.0.1:5060'), '<sip:1234@10.0.0.1:5060>');
  t.equal(replaceLocalhost('<sip:localhost:5080>', '10.0.0.1:5060'), '<sip:10.0.0.1:5060>');
  const h = new SipHeaders();
  t.equal(ensureContentType(h, Buffer.from('v=0\r\n')), 'ok');
  t.equal(h.get('content-type'), 'application/sdp');
  t.equal(ensureContentType(new SipHeaders(), Buffer.from('hello')), 'missing');
  t.equal(ensureContentType(new SipHeaders(), Buffer.alloc(0)), 'ok');
});

t.test('requests: Max-Forwards 0–255 only; CANCEL copies the INVITE; To defaults to the Request-URI', async (t) => {
  const app = (h: Array<[string, string]>) => ({ start: { kind: 'request' as const, method: 'INVITE', uri: 'sip:a@b' }, headers: new SipHeaders(h.map(([name, value]) => ({ name, value }))), body: Buffer.alloc(0) });
  t.equal(maxForwardsFor(app([])), '70');
  t.equal(maxForwardsFor(app([['Max-Forwards', ' 0 ']])), '0');
  t.equal(maxForwardsFor(app([['Max-Forwards', '255']])), '255');
  for (const bad of ['-1', '256', '1e2', '', 'abc']) t.throws(() => maxForwardsFor(app([['Max-Forwards', bad]])), /invalid Max-Forwards/);
  const inv = buildInitialRequest(app([['Route', '<sip:ignored>']]), 'INVITE', 'sip:a@10.0.0.9', LOCAL_UDP);
  t.equal(inv.headers.get('to'), '<sip:a@10.0.0.9>');
  t.equal(inv.headers.get('contact'), '<sip:127.0.0.1:5060>');
  inv.headers.append('Route', '<sip:proxy;lr>');
  const cancel = buildCancel(inv);
  t.equal(cancel.method, 'CANCEL');
  t.equal(cancel.uri, inv.uri);
  t.equal(cancel.headers.get('via'), inv.headers.get('via'));
  t.match(cancel.headers.get('cseq') ?? '', / CANCEL$/);
  t.same(cancel.headers.getAll('route'), ['<sip:proxy;lr>']);
});

t.test('targets: URI → protocol/host/port; a dialog routes via its first Route; tel: and ws are not routable', async (t) => {
  t.same(uriTarget('<sip:a@10.0.0.1:5070;transport=TCP>'), { protocol: 'tcp', host: '10.0.0.1', port: 5070 });
  t.same(uriTarget('sip:[::1]'), { protocol: 'udp', host: '::1', port: 5060 });
  t.equal(uriTarget('tel:+15551234'), undefined);
  t.equal(uriTarget('sip:a@b;transport=ws'), undefined);
  t.same(dialogUriTarget({ routeSet: ['<sip:10.0.0.2:5062;lr>'], remoteTarget: 'sip:x@10.0.0.3', protocol: 'tcp' }), { protocol: 'tcp', host: '10.0.0.2', port: 5062 });
  await t.rejects(resolveDialogTarget({ routeSet: [], remoteTarget: 'tel:+1', protocol: 'udp' }), /cannot route to tel:\+1/);
  t.same(await resolveDialogTarget({ routeSet: [], remoteTarget: 'sip:x@10.0.0.3:5999', protocol: 'udp' }), { protocol: 'udp', address: '10.0.0.3', port: 5999 });
});

t.test('dialog store: by id, by tags (request and response view), by Call-ID, remote tag change, removal stops the session timer', async (t) => {
  const s = new DialogStore();
  const d = createDialog({
    id: 'c;from-tag=L', role: 'uac', callId: 'c', localTag: 'L', remoteTag: 'R1', localUri: '<sip:a@x>', remoteUri: '<sip:b@y>',
    localSeq: 1, remoteSeq: undefined, remoteTarget: 'sip:b@y', routeSet: [], localContact: '<sip:a@x>', protocol: 'udp', client: undefined, state: 'early',
  });
  s.add(d);
  t.equal(s.findForRequest('c', 'L', 'R1'), d);
  t.equal(s.findForResponse('c', 'L', 'R1'), d);
  s.setRemoteTag(d, 'R2');
  t.equal(s.findForRequest('c', 'L', 'R1'), undefined);
  t.equal(s.findForRequest('c', 'L', 'R2'), d);
  t.equal(s.findByCallId('c'), d);
  let cancelled = false;
  d.sessionTimer = { intervalSec: 90, weRefresh: true, minSE: 90, timer: { cancel: () => void (cancelled = true) } };
  s.remove(d);
  t.ok(cancelled);
  t.equal(s.size, 0);
  s.remove(d);
  t.equal(s.get(d.id), undefined);
});
