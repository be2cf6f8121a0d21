import t from 'tap';
import { faultOf, healthVerdict } from '../../src/call/fault';
import type { AttemptOutcome } from '../../src/call/attempt';

const cases: Array<[AttemptOutcome, string, string]> = [
  [{ kind: 'internal', message: 'boom' }, 'local', 'ignored'],
  [{ kind: 'cancelled' }, 'caller', 'ignored'],
  [{ kind: 'response', status: 503 }, 'carrier', 'failure'],
  [{ kind: 'response', status: 408 }, 'carrier', 'failure'],
  [{ kind: 'response', status: 486 }, 'none', 'ok'],
  [{ kind: 'response', status: 404 }, 'none', 'ok'],
  [{ kind: 'timeout', phase: 'no-provisional' }, 'carrier', 'failure'],
  [{ kind: 'timeout', phase: 'no-answer' }, 'none', 'ignored'],
  [{ kind: 'transport-error' }, 'carrier', 'failure'],
];

t.test('whose fault, and what carrier health hears', async (t) => {
  for (const [o, fault, verdict] of cases) {
    const f = faultOf(o);
    t.equal(f, fault, `${JSON.stringify(o)} → ${fault}`);
    t.equal(healthVerdict(o, f), verdict, `${JSON.stringify(o)} → health ${verdict}`);
  }
});

t.test('a local fault is never a carrier failure, whatever the outcome looks like', async (t) => {
  t.equal(healthVerdict({ kind: 'response', status: 500 }, 'local'), 'ignored');
  t.equal(healthVerdict({ kind: 'timeout', phase: 'no-provisional' }, 'local'), 'ignored');
});

t.test('overload is local: a "no response" timed by a stalled clock is not the carrier\'s', async (t) => {
  const noProvisional = { kind: 'timeout', phase: 'no-provisional' } as const;
  t.equal(faultOf(noProvisional, { timerLateMs: 1400, toleranceMs: 200 }), 'local', 'timer fired 1.4 s late: local');
  t.equal(healthVerdict(noProvisional, 'local'), 'ignored', 'and health does not hear it');
  t.equal(faultOf(noProvisional, { timerLateMs: 50, toleranceMs: 200 }), 'carrier', 'punctual timer: the carrier was silent');
  t.equal(faultOf({ kind: 'response', status: 503 }, { timerLateMs: 1400, toleranceMs: 200 }), 'carrier', 'a real 503 is the carrier\'s even during a stall');
  t.equal(faultOf({ kind: 'transport-error' }, { timerLateMs: 1400, toleranceMs: 200 }), 'carrier', 'unreachable is the carrier\'s');
});
