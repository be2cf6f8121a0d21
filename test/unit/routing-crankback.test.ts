/** One test per clause of decideCrankback, then selectFinalFailure. */
import t from 'tap';
import { decideCrankback, selectFinalFailure, type AttemptFailure, type CrankbackInput } from '../../src/routing/crankback';
import { RETRY_DEFAULTS } from '../../src/config/routes';

const res = (status: number): AttemptFailure => ({ kind: 'response', status, reason: '' });
const noProv: AttemptFailure = { kind: 'timeout', phase: 'no-provisional' };
const noAnswer: AttemptFailure = { kind: 'timeout', phase: 'no-answer' };
const deadline: AttemptFailure = { kind: 'timeout', phase: 'deadline' };
const transport: AttemptFailure = { kind: 'transport-error' };

function input(outcome: AttemptFailure, over: Partial<CrankbackInput> = {}): CrankbackInput {
  return {
    outcome, callerCancelled: false, earlyMediaSent: false, attemptsMade: 1, maxAttempts: 3, remainingCarriers: 2,
    msUntilDeadline: 10_000, rules: RETRY_DEFAULTS, ...over,
  };
}

t.test('clause: caller cancelled → fail 487, whatever the outcome', async (t) => {
  t.same(decideCrankback(input(res(503), { callerCancelled: true })), { action: 'fail', status: 487, reason: 'caller-cancelled' });
  t.same(decideCrankback(input({ kind: 'cancelled' })), { action: 'fail', status: 487, reason: 'caller-cancelled' });
});

t.test('clause: 486 and 603 are never retried, passed back unchanged', async (t) => {
  t.same(decideCrankback(input(res(486))), { action: 'fail', status: 486, reason: 'never-retry' });
  t.same(decideCrankback(input(res(603))), { action: 'fail', status: 603, reason: 'never-retry' });
  const rules = { retryOn: ['timeout', '5xx'] as const, neverRetry: [486, 503, 603] };
  t.same(decideCrankback(input(res(503), { rules: { ...rules, retryOn: [...rules.retryOn] } })), { action: 'fail', status: 503, reason: 'never-retry' }, 'route neverRetry wins over retryOn');
});

t.test('clause: early media reached the caller → no crankback', async (t) => {
  t.same(decideCrankback(input(res(503), { earlyMediaSent: true })), { action: 'fail', status: 503, reason: 'early-media' });
  t.same(decideCrankback(input(noAnswer, { earlyMediaSent: true })), { action: 'fail', status: 480, reason: 'early-media' });
});

t.test('clause: 4xx other than 408 is callee-specific → passed back', async (t) => {
  for (const s of [400, 403, 404, 480, 484, 488]) t.same(decideCrankback(input(res(s))), { action: 'fail', status: s, reason: 'not-retryable' }, String(s));
  t.same(decideCrankback(input(res(302))), { action: 'fail', status: 302, reason: 'not-retryable' }, '3xx is not followed');
});

t.test('clause: a no-answer timeout (rang out) is not retried by default → 480', async (t) => {
  t.same(decideCrankback(input(noAnswer)), { action: 'fail', status: 480, reason: 'not-retryable' });
  const rules = { retryOn: [...RETRY_DEFAULTS.retryOn, 'no-answer' as const], neverRetry: [486, 603] };
  t.same(decideCrankback(input(noAnswer, { rules })), { action: 'retry', reason: 'no-answer' }, 'unless the route lists no-answer');
});

t.test('clause: timeout during the attempt hit the setup deadline → fail, deadline', async (t) => {
  t.same(decideCrankback(input(deadline)), { action: 'fail', status: 408, reason: 'deadline' });
});

t.test('clause: attempts used up → fail with the last meaningful failure', async (t) => {
  t.same(decideCrankback(input(res(503), { attemptsMade: 3, maxAttempts: 3 })), { action: 'fail', status: 503, reason: 'attempts-exhausted' });
});

t.test('clause: no carrier left → fail', async (t) => {
  t.same(decideCrankback(input(noProv, { remainingCarriers: 0 })), { action: 'fail', status: 408, reason: 'no-carriers-left' });
});

t.test('clause: setup deadline passed → no new attempt', async (t) => {
  t.same(decideCrankback(input(res(500), { msUntilDeadline: 0 })), { action: 'fail', status: 500, reason: 'deadline' });
  t.same(decideCrankback(input(res(500), { msUntilDeadline: -5 })), { action: 'fail', status: 500, reason: 'deadline' });
});

t.test('clause: retry on timeout, 408, 5xx, 6xx other than 603, transport error', async (t) => {
  t.same(decideCrankback(input(noProv)), { action: 'retry', reason: 'timeout' });
  t.same(decideCrankback(input(res(408))), { action: 'retry', reason: '408' });
  for (const s of [500, 502, 503, 504]) t.same(decideCrankback(input(res(s))), { action: 'retry', reason: '5xx' }, String(s));
  for (const s of [600, 604, 606]) t.same(decideCrankback(input(res(s))), { action: 'retry', reason: '6xx' }, String(s));
  t.same(decideCrankback(input(transport)), { action: 'retry', reason: 'transport' });
});

t.test('route retry rules narrow what is retried', async (t) => {
  const rules = { retryOn: ['timeout' as const], neverRetry: [486, 603] };
  t.same(decideCrankback(input(res(503), { rules })), { action: 'fail', status: 503, reason: 'not-retryable' });
  t.same(decideCrankback(input(transport, { rules })), { action: 'fail', status: 503, reason: 'not-retryable' });
  t.same(decideCrankback(input(noProv, { rules })), { action: 'retry', reason: 'timeout' });
  const exact = { retryOn: ['503' as const], neverRetry: [486, 603] };
  t.same(decideCrankback(input(res(503), { rules: exact })), { action: 'retry', reason: '503' });
  t.same(decideCrankback(input(res(502), { rules: exact })), { action: 'fail', status: 502, reason: 'not-retryable' });
});

t.test('the final status prefers a real carrier response over our own timeout', async (t) => {
  const history = [res(503), noProv];
  t.same(decideCrankback(input(noProv, { history, remainingCarriers: 0 })), { action: 'fail', status: 503, reason: 'no-carriers-left' });
  t.same(decideCrankback(input(noProv, { history: [res(503)], remainingCarriers: 0 })), { action: 'fail', status: 503, reason: 'no-carriers-left' }, 'outcome appended when missing from history');
});

t.test('selectFinalFailure', async (t) => {
  t.equal(selectFinalFailure([]), 503, 'no attempt at all');
  t.equal(selectFinalFailure([noProv, noProv]), 408, 'all timeouts');
  t.equal(selectFinalFailure([transport, transport]), 503, 'transport errors only');
  t.equal(selectFinalFailure([noProv, transport]), 503, 'timeouts and transport errors');
  t.equal(selectFinalFailure([res(500), noProv, transport]), 500, 'real response over synthetic ones');
  t.equal(selectFinalFailure([res(500), res(502)]), 502, 'latest real response');
  t.equal(selectFinalFailure([res(604), res(503)]), 604, 'a 6xx beats later 5xx');
  t.equal(selectFinalFailure([noProv, noAnswer]), 480, 'rang out → 480');
  t.equal(selectFinalFailure([deadline]), 408, 'deadline counts as a timeout');
  t.equal(selectFinalFailure([{ kind: 'answered' }, { kind: 'cancelled' }]), 503, 'answered / cancelled are not failures');
});
