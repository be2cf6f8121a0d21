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
