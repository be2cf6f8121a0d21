import t from 'tap';
import { classifyFailure } from '../../src/call/attempt';

const res = (to: string) => ({ get: (n: string) => (n.toLowerCase() === 'to' ? to : undefined) });

t.test('a carrier\'s own 503 (To tag) is a response; the engine\'s synthetic 503 (no tag) is a transport error', async (t) => {
  t.same(classifyFailure({ status: 503, reason: 'Service Unavailable', res: res('<sip:a@b>;tag=xyz') }), { kind: 'response', status: 503, reason: 'Service Unavailable' });
  t.same(classifyFailure({ status: 503, res: res('<sip:a@b>') }), { kind: 'transport-error' });
});

t.test('synthetic 408 (no tag) is a timeout; a carrier 408 is a response', async (t) => {
  t.same(classifyFailure({ status: 408, res: res('<sip:a@b>') }), { kind: 'timeout', phase: 'no-provisional' });
  t.same(classifyFailure({ status: 408, reason: 'Request Timeout', res: res('<sip:a@b>;tag=1') }), { kind: 'response', status: 408, reason: 'Request Timeout' });
});

t.test('486 stays a response', async (t) => {
  t.same(classifyFailure({ status: 486, reason: 'Busy Here', res: res('<sip:a@b>;tag=1') }), { kind: 'response', status: 486, reason: 'Busy Here' });
});

t.test('an error with no SIP status (the stack refused the request, srf threw) is trunkwise\'s own failure', async (t) => {
  t.same(classifyFailure({ message: 'invalid request-uri' }), { kind: 'internal', message: 'invalid request-uri' });
});
