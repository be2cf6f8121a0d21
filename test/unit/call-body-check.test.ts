import t from 'tap';
import { checkInviteBody } from '../../src/app/body-check';

const SDP = 'v=0\r\no=ivr 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n';

t.test('SDP (any case, with parameters) and no body pass', async (t) => {
  t.same(checkInviteBody('application/sdp', undefined, SDP), { ok: true });
  t.same(checkInviteBody('Application/SDP; charset=utf-8', 'identity', SDP), { ok: true });
  t.same(checkInviteBody(undefined, undefined, ''), { ok: true });
  t.same(checkInviteBody('application/unknownformat', undefined, undefined), { ok: true }, 'no body: nothing to refuse');
});

t.test('any other body type, a missing type or an encoding: 415', async (t) => {
  t.match(checkInviteBody('application/unknownformat', undefined, '<x/>'), { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE' });
  t.match(checkInviteBody(undefined, undefined, SDP), { ok: false, detail: 'Content-Type (none)' });
  t.match(checkInviteBody('application/sdp', 'gzip', SDP), { ok: false, detail: 'Content-Encoding gzip' });
  t.match(checkInviteBody('multipart/mixed;boundary=x', undefined, '--x'), { ok: false });
});

t.test('an application/sdp body that is not a session description: 488 (the fuzzer\'s sdpDamage)', async (t) => {
  t.match(checkInviteBody('application/sdp', undefined, 'i3ltreejhlsuut1f2icyvabp4a2ls0efq0rtiy5w'), { ok: false, code: 'E_SDP_NOT_ACCEPTABLE' });
  t.match(checkInviteBody('application/sdp', undefined, SDP.replace('v=0\r\n', '')), { ok: false, code: 'E_SDP_NOT_ACCEPTABLE' }, 'no v= line');
  t.match(checkInviteBody('application/sdp', undefined, SDP.replace(/m=.*\r\n/, '')), { ok: false, code: 'E_SDP_NOT_ACCEPTABLE' }, 'no media line');
  t.same(checkInviteBody('application/sdp', undefined, SDP.replace(/\r\n/g, '\n')), { ok: true }, 'LF-only line ends are tolerated');
});
