/** src/app/srf-port.ts answerError: which of srf's statusless errors are a carrier's unusable 2xx (502). */
import t from 'tap';
import { answerError } from '../../src/app/srf-port';

t.test("srf's Dialog failure on a 200 with an empty Contact becomes 502 Bad Gateway", async (t) => {
  const e = answerError(new Error("header 'Contact' not available in SIP message with Call-ID: abc"));
  t.ok(e instanceof Error);
  t.match(e, { status: 502, message: /unusable/ });
});

t.test("srf's header parser crashing on the 200's `Contact: ;` (a TypeError) becomes 502 too", async (t) => {
  t.match(answerError(new TypeError("Cannot read properties of undefined (reading '1')")), { status: 502, message: /unusable/ });
});

t.test('errors with a SIP status, and statusless errors of another kind, pass unchanged', async (t) => {
  const sipError = Object.assign(new Error('Busy Here'), { status: 486 });
  t.equal(answerError(sipError), sipError);
  const other = new Error('invalid request-uri');
  t.equal(answerError(other), other);
  t.equal(answerError('a string'), 'a string');
});
