/**
 * Issue 9: the CDR's attempts[].fault follows health's blame. The call layer first says "carrier" for
 * an INVITE with no response; health then judges it with its witnesses (src/health/blame.ts) and may
 * put it down to the edge (every carrier asked meanwhile was slow too, or the edge stalled), charging
 * nobody. Before: the monitor kept that decision to itself and the CDR still said fault "carrier".
 */
import t from 'tap';
import { HealthMonitor } from '../../src/health/monitor';
import { HEALTH_DEFAULTS } from '../../src/config/health';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { followHealth, type AttemptRecord } from '../../src/call/cdr';

function monitor(ids: readonly string[], edgeStalledWithin?: (from: number, to: number) => number): HealthMonitor {
  const logger = createLogger({ level: 'fatal', destination: { write: () => undefined } });
  return new HealthMonitor({ health: { ...HEALTH_DEFAULTS }, carriers: ids.map((id) => ({ id, probe: { enabled: false } })) },
    { logger, metrics: createMetrics(), operatorInService: () => true, ...(edgeStalledWithin && { edgeStalledWithin }) }, 0);
}

const timedOut = (): AttemptRecord => ({ carrier: 'a', uri: 'sip:x@a', startedAt: 0, outcome: 'timeout', fault: 'carrier' });

t.test('every carrier asked meanwhile was slow too: health blames the edge, and the CDR says so', async (t) => {
  const m = monitor(['a', 'b']);
  const a = m.attemptStarted('a', 0);
  m.attemptStarted('b', 10); // asked after a, never answers
  const judged = a.finished('failure', 3000);
  t.match(judged, { blame: 'edge', why: /every carrier asked meanwhile was slow too \(b\)/ }, 'finished() returns health\'s decision');
  const rec = timedOut();
  followHealth(rec, judged);
  t.equal(rec.fault, 'local', 'the CDR no longer charges the carrier');
  t.match(rec.faultByHealth, /slow too/, 'and says why');
});

t.test('the edge stalled meanwhile: the edge\'s', async (t) => {
  const m = monitor(['a'], () => 1500);
  const rec = timedOut();
  followHealth(rec, m.attemptStarted('a', 0).finished('failure', 3000));
  t.equal(rec.fault, 'local');
  t.match(rec.faultByHealth, /stalled 1500 ms/);
});

t.test('another carrier answered a later request on time: the carrier\'s, in health and in the CDR', async (t) => {
  const m = monitor(['a', 'b']);
  const a = m.attemptStarted('a', 0);
  m.attemptStarted('b', 10).responded(40);
  const judged = a.finished('failure', 3000);
  t.equal(judged, undefined, 'the verdict stood');
  const rec = timedOut();
  followHealth(rec, judged);
  t.equal(rec.fault, 'carrier');
  t.equal(rec.faultByHealth, undefined);
});

t.test('an answered or caller-ended attempt is not re-judged', async (t) => {
  const m = monitor(['a', 'b']);
  const a = m.attemptStarted('a', 0);
  a.responded(50);
  t.equal(a.finished('ok', 100), undefined);
  const rec: AttemptRecord = { carrier: 'a', uri: 'sip:x@a', startedAt: 0, outcome: 'cancelled', fault: 'caller' };
  followHealth(rec, { blame: 'edge', why: 'x' });
  t.equal(rec.fault, 'caller', 'only a fault the call layer gave the carrier moves');
});
