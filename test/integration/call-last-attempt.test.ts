/**
 * The adaptive no-provisional timer (src/call/no-provisional-timer.ts) only where a crank can follow.
 * Giving up early on an attempt is a bet that another carrier answers sooner; on the call's last
 * attempt there is no other carrier, so a timer cut to the carrier's RTT can only turn a late first
 * response — or a lost INVITE that the first retransmission (T1 = 500 ms) would have carried — into
 * a failed alarm call. CI saw exactly that: all five carriers dropping 10 % of what they received,
 * three attempts of 400 ms each, one INVITE lost on each → 408 (1 call in 1,200).
 * The simulator's extraDelayMs makes a carrier's first response later than its learnt RTT, which is
 * what a lost-and-retransmitted INVITE looks like from trunkwise's side, without timing a drop.
 */
import t from 'tap';
import path from 'node:path';
import { runSipp, killAll, sippErrors } from '../helpers/sipp';
import { cdrs } from '../helpers/trunkwise-process';
import { startHealthSystem, TEST_HEALTH, type HealthSystem } from '../helpers/health-system';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
t.teardown(killAll);

const route = (carriers: string[]): string => `routes:
  - id: default
    default: true
    carriers: [${carriers.map((id, i) => `{ id: ${id}, order: ${i} }`).join(', ')}]
    strategy: priority
    maxAttempts: ${carriers.length}
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
`;

type Cdr = { outcome: string; attempts: Array<{ carrier: string; outcome: string; noProvisionalMs?: number; provisionalMs?: number }> };

async function calls(hs: HealthSystem, n: number, rate: number): Promise<void> {
  const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${hs.tw.sipPort}`, service: '15550001', rate, calls: n, duration: 100, timeoutMs: 30_000 });
  if (r.failed > 0) throw new Error(`SIPp: ${r.failed} of ${n} calls failed:\n${sippErrors(r.dir)}`);
}

async function withSystem(carriers: string[], fn: (hs: HealthSystem) => Promise<void>): Promise<void> {
  const hs = await startHealthSystem(TEST_HEALTH, { route: route(carriers) });
  try {
    await fn(hs);
  } finally {
    await hs.stop();
  }
}

t.test('a one-carrier route: the only attempt waits the configured 1 s, so a first response 600 ms late still connects', async (t) => {
  await withSystem(['carrier-a'], async (hs) => {
    await calls(hs, 10, 10); // carrier-a's RTT learnt: a few ms on loopback, adapted timer would be the 400 ms floor
    hs.sim.set('carrier-a', { extraDelayMs: 600 });
    await calls(hs, 1, 1);
    const last = (cdrs(hs.tw.logs) as unknown as Cdr[]).at(-1)!;
    t.equal(last.outcome, 'answered', 'the late carrier answered the call');
    t.equal(last.attempts[0]!.noProvisionalMs, 1000, 'the last attempt ran with the configured maximum, not the RTT-adapted floor');
    t.ok((last.attempts[0]!.provisionalMs ?? 0) >= 600, `first provisional after ${last.attempts[0]!.provisionalMs} ms`);
  });
});

t.test('a two-carrier route: the first attempt still adapts (400 ms floor) and cranks, the last one waits the full 1 s', async (t) => {
  await withSystem(['carrier-a', 'carrier-b'], async (hs) => {
    await calls(hs, 10, 10); // priority: carrier-a's RTT learnt
    hs.sim.set('carrier-a', { extraDelayMs: 600 });
    hs.sim.set('carrier-b', { extraDelayMs: 600 });
    await calls(hs, 1, 1);
    const last = (cdrs(hs.tw.logs) as unknown as Cdr[]).at(-1)!;
    t.equal(last.outcome, 'answered', 'answered by carrier-b');
    t.same(last.attempts.map((a) => [a.carrier, a.outcome, a.noProvisionalMs]), [['carrier-a', 'timeout', 400], ['carrier-b', 'answered', 1000]],
      'carrier-a given up at its adapted 400 ms (a crank could follow); carrier-b, the last, waited up to 1 s');
  });
});
