/** The main thread's own lag (loop-lag.ts) and the shedding decision built on it (loop-shed.ts), on a test clock. */
import t from 'tap';
import { LoopLag } from '../../src/engine/transport/loop-lag';
import { LoopShedder } from '../../src/engine/transport/loop-shed';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';

const msg = (first: string, ...headers: string[]): Buffer => Buffer.from([first, ...headers, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');
const invite = (branch: string, to = 'To: <sip:b@x>'): Buffer =>
  msg('INVITE sip:b@x SIP/2.0', `Via: SIP/2.0/TCP 10.0.0.1:5060;branch=${branch}`, 'From: <sip:a@x>;tag=f', to, 'Call-ID: c1', 'CSeq: 1 INVITE');
const source = { protocol: 'tcp' as const, address: '10.0.0.1', port: 40000 };

t.test('LoopLag: a late beat and an overdue beat both count; on-time beats clear it', async (t) => {
  let clock = 1000;
  const lag = new LoopLag(50, () => clock);
  t.equal(lag.lagMs(), 0, 'not started: 0');
  lag.start();
  t.teardown(() => lag.stop());
  clock += 50;
  lag.beat();
  t.equal(lag.lagMs(), 0, 'on time');
  clock += 800;
  t.equal(lag.lagMs(), 750, 'stalled: the next beat is 750 ms overdue, before it can run');
  lag.beat();
  t.equal(lag.lagMs(), 750, 'the late beat remembers it until the next one');
  clock += 50;
  lag.beat();
  t.equal(lag.lagMs(), 0, 'back on time');
});

t.test('LoopShedder: new INVITEs shed while the loop lags, admitted traffic passes, 503 within budget', async (t) => {
  let clock = 0;
  const lag = new LoopLag(50, () => clock);
  lag.start();
  t.teardown(() => lag.stop());
  const s = new LoopShedder({ ...DEFAULT_LIMITS, ingressMaxLagMs: 150, shedRejectRate: 1 }, lag, 'tcp');
  t.same(s.check(invite('z9hG4bK-a'), source, 0), { pass: true }, 'on time: a new call passes');
  clock = 500;
  const v = s.check(invite('z9hG4bK-b'), source, 500);
  t.equal(v.pass, false, 'behind: a new call is shed');
  if (!v.pass) {
    t.equal(v.reason, 'lag');
    t.equal(v.answer?.res.status, 503);
    t.same(v.answer?.target, source, 'answered on the connection it came on');
  }
  t.same(s.check(invite('z9hG4bK-a'), source, 500), { pass: true }, 'the admitted INVITE again: passes');
  t.same(s.check(invite('z9hG4bK-c', 'To: <sip:b@x>;tag=1'), source, 500), { pass: true }, 're-INVITE passes');
  t.same(s.check(msg('BYE sip:b@x SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK-d', 'To: <sip:b@x>;tag=1'), source, 500), { pass: true }, 'BYE passes');
  t.same(s.check(msg('SIP/2.0 200 OK', 'Via: SIP/2.0/TCP h;branch=z9hG4bK-e', 'CSeq: 1 INVITE'), source, 500), { pass: true }, 'a response passes');
  const over = s.check(invite('z9hG4bK-f'), source, 500);
  t.ok(!over.pass && over.answer === undefined, 'beyond the 503 budget: dropped without an answer');
  lag.beat();
  clock += 50;
  lag.beat();
  const again = s.check(invite('z9hG4bK-b'), source, 2000);
  t.ok(!again.pass && again.reason === 'retransmission', 'caught up: the shed INVITE seen again is shed again');
  t.same(s.check(invite('z9hG4bK-g'), source, 2000), { pass: true }, 'a new call passes again');
  t.equal(s.shed, 3);
  t.equal(s.answered503, 2);
  t.same(s.byReason(), { lag: 2, backlog: 0, retransmission: 1 });
});
