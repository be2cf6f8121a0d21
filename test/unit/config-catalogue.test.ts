import t from 'tap';
import { ERRORS, TrunkwiseError, sipResponseFor, type ErrorCode } from '../../src/config/errors';

t.test('every code has a SIP status, reason, message and when', async (t) => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    t.match(code, /^E_[A-Z_]+$/);
    t.ok(spec.status >= 400 && spec.status < 700, `${code} status`);
    t.ok(spec.reason && spec.message && spec.when, `${code} texts`);
  }
});

t.test('the mappings the call path relies on', async (t) => {
  const want: [ErrorCode, number][] = [
    ['E_SOURCE_FORBIDDEN', 403], ['E_AUTH_REQUIRED', 401], ['E_UNSUPPORTED_MEDIA_TYPE', 415], ['E_ALL_CARRIERS_DOWN', 503], ['E_CPS_LIMIT', 503],
    ['E_DEADLINE', 408], ['E_CALLER_CANCELLED', 487], ['E_CONFIG_INVALID', 500],
  ];
  for (const [code, status] of want) t.equal(ERRORS[code].status, status, code);
});

t.test('E_CPS_LIMIT answers 503 with Retry-After', async (t) => {
  t.same(sipResponseFor('E_CPS_LIMIT'), { status: 503, reason: 'Service Unavailable', headers: { 'Retry-After': '1' } });
  t.same(sipResponseFor('E_DEADLINE').headers, {});
});

t.test('TrunkwiseError carries code and status', async (t) => {
  const e = new TrunkwiseError('E_SOURCE_FORBIDDEN', '198.51.100.7');
  t.ok(e instanceof Error);
  t.equal(e.code, 'E_SOURCE_FORBIDDEN');
  t.equal(e.status, 403);
  t.equal(e.message, 'source is not allowed to place calls: 198.51.100.7');
  t.equal(new TrunkwiseError('E_CPS_LIMIT').retryAfterS, 1);
});
