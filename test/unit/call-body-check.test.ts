import t from 'tap';
import { checkInviteBody } from '../../src/app/body-check';

t.test('SDP (any case, with parameters) and no body pass', async (t) => {
  t.same(checkInviteBody('application/sdp', undefined, 'v=0'), { ok: true });
  t.same(checkInviteBody('Application/SDP; charset=utf-8', 'identity', 'v=0'), { ok: true });
  t.same(checkInviteBody(undefined, undefined, ''), { ok: true });
  t.same(checkInviteBody('application/unknownformat', undefined, undefined), { ok: true }, 'no body: nothing to refuse');
});

t.test('any other body type, a missing type or an encoding: 415', async (t) => {
  t.match(checkInviteBody('application/unknownformat', undefined, '<x/>'), { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE' });
  t.match(checkInviteBody(undefined, undefined, 'v=0'), { ok: false, detail: 'Content-Type (none)' });
  t.match(checkInviteBody('application/sdp', 'gzip', 'v=0'), { ok: false, detail: 'Content-Encoding gzip' });
  t.match(checkInviteBody('multipart/mixed;boundary=x', undefined, '--x'), { ok: false });
});
