/**
 * Every abandoned carrier attempt is CANCELled (issues 10 and 15): the caller's CANCEL while the
 * carrier rings, the no-answer timer, and crankback on no-answer (a per-route choice: `retryOn:
 * [no-answer]`). The carrier is SIPp `uas-carrier-ring-forever.xml`, whose call only succeeds once it
 * receives CANCEL; trunkwise is the real process. One system serves the three cases (SIPp's counters
 * are read from its stats file as they grow). After each case no call, relay session, relay port or
 * engine dialog is left; transactions end with their RFC 3261 timers on UDP — timer D for the INVITE
 * client transactions (32 s after the carrier's 487), timer J for the caller's CANCEL (64·T1) — so
 * they are asserted back to 0 once, at the end.
 *
 * The same system also takes a carrier that sends its 183 reliably (RFC 3262, `Require: 100rel`):
 * trunkwise's own call path (srf's createUAC through the adapter, the embedded engine's early dialog)
 * must PRACK it, or that carrier never answers (issue 10: 100rel on the carrier leg of the product,
 * not only of a test B2BUA).
 */
import t, { type Test } from 'tap';
import path from 'node:path';
import { runSipp, startSippServer, freePorts, killAll, readSippCounts, type SippServer } from '../helpers/sipp';
import { startTrunkwise, cdrs, type CarrierSpec, type Trunkwise } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);

const ROUTES = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a, order: 1 }, { id: carrier-b, order: 2 }]
    strategy: priority
    maxAttempts: 2
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 1500, setupDeadlineMs: 15000 }
  - id: ring-then-next
    match: { prefix: '888' }
    carriers: [{ id: carrier-a, order: 1 }, { id: carrier-b, order: 2 }]
    strategy: priority
    maxAttempts: 2
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 1500, setupDeadlineMs: 15000 }
    retry: { retryOn: [timeout, '408', 5xx, 6xx, transport, no-answer] }
  - id: reliable-183
    match: { prefix: '777' }
    carriers: [{ id: carrier-c, order: 1 }]
    strategy: priority
    maxAttempts: 1
`;

t.teardown(killAll);

interface HealthBody { activeCalls: number; media: { sessions: number; portsInUse: number }; engine: { dialogs: number; serverTransactions: number; clientTransactions: number } }

/** Calls, relay sessions/ports and engine dialogs back to 0; server and client transactions too when asked. */
async function assertReleased(t: Test, tw: Trunkwise, withinMs: number, transactions: boolean): Promise<void> {
  const until = Date.now() + withinMs;
  const counts = (h: HealthBody): number[] => [h.activeCalls, h.media.sessions, h.media.portsInUse, h.engine.dialogs, ...(transactions ? [h.engine.serverTransactions, h.engine.clientTransactions] : [])];
  let c: number[];
  for (;;) {
    c = counts((await tw.admin('GET', '/health')).body as HealthBody);
    if (c.every((n) => n === 0) || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  t.same(c, c.map(() => 0), `no call, relay session, relay port, engine dialog${transactions ? ' or transaction' : ''} left`);
}

/** SIPp's successful-call count for a running server, once it reaches `want` (its stats file is rewritten every second). */
async function sippCount(s: SippServer, want: number, withinMs = 4000): Promise<number> {
  const until = Date.now() + withinMs;
  let n = readSippCounts(s.dir).successful;
  while (n < want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    n = readSippCounts(s.dir).successful;
  }
  return n;
}

t.test('abandoned attempts are CANCELled', async (t) => {
  const ports = await freePorts(3);
  const a = await startSippServer({ scenario: SC('uas-carrier-ring-forever.xml'), localPort: ports[0]!, timeoutMs: 180_000 });
  const b = await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: ports[1]!, timeoutMs: 180_000 });
  const c = await startSippServer({ scenario: SC('uas-carrier-183-100rel.xml'), localPort: ports[2]!, timeoutMs: 180_000 });
  const specs: CarrierSpec[] = [
    { id: 'carrier-a', port: ports[0]!, weight: 1 }, { id: 'carrier-b', port: ports[1]!, weight: 1 }, { id: 'carrier-c', port: ports[2]!, weight: 1 },
  ];
  const tw = await startTrunkwise({ carriers: specs, routes: { '99-default.yaml': ROUTES } });
  const remote = `127.0.0.1:${tw.sipPort}`;
  t.teardown(async () => {
    await tw.stop();
    await a.stop().catch(() => undefined);
    await b.stop().catch(() => undefined);
    await c.stop().catch(() => undefined);
  });

  await t.test('caller CANCELs while the carrier rings: the carrier receives CANCEL', async (t) => {
    const r = await runSipp({ scenario: SC('uac-cancel-before-answer.xml'), remote, service: '15550001', rate: 5, calls: 5, timeoutMs: 30_000 });
    t.equal(r.successful, 5, 'each caller got 200 to its CANCEL and 487');
    t.equal(await sippCount(a, 5), 5, 'carrier-a received a CANCEL for each of the 5 ringing calls');
    await assertReleased(t, tw, 8000, false);
    t.ok(cdrs(tw.logs).every((c) => c.outcome === 'cancelled' && c.attempts.length === 1), 'one attempt per call, outcome cancelled');
  });

  await t.test('no answer within the timer (default route): CANCEL to the carrier, 480 to the caller, no other carrier', async (t) => {
    const before = cdrs(tw.logs).length;
    const r = await runSipp({ scenario: SC('uac-expect-480.xml'), remote, service: '15550001', rate: 5, calls: 3, timeoutMs: 30_000 });
    t.equal(r.successful, 3, 'each caller got 480');
    t.equal(await sippCount(a, 8), 8, 'carrier-a received a CANCEL for each call it rang');
    t.equal(readSippCounts(b.dir).successful, 0, 'carrier-b was never tried');
    await assertReleased(t, tw, 8000, false);
    t.ok(cdrs(tw.logs).slice(before).every((c) => c.finalStatus === 480 && c.attempts.length === 1), 'one attempt each, 480');
  });

  await t.test('no answer within the timer, route with retryOn no-answer: CANCEL to A, the call rings on B and is answered', async (t) => {
    const before = cdrs(tw.logs).length;
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote, service: '8881234', rate: 5, calls: 3, duration: 200, timeoutMs: 30_000 });
    t.equal(r.successful, 3, 'each call answered');
    t.equal(await sippCount(a, 11), 11, 'carrier-a received a CANCEL for each call it rang');
    t.equal(await sippCount(b, 3), 3, 'carrier-b answered each call');
    await assertReleased(t, tw, 8000, false);
    const recs = cdrs(tw.logs).slice(before);
    t.ok(recs.length === 3 && recs.every((c) => c.outcome === 'answered' && c.attempts.map((x) => x.carrier).join() === 'carrier-a,carrier-b'), 'CDR: A (no answer) then B');
  });

  await t.test('carrier sends 183 with Require: 100rel: trunkwise PRACKs it and the call completes', async (t) => {
    const before = cdrs(tw.logs).length;
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote, service: '7771234', rate: 5, calls: 3, duration: 200, timeoutMs: 30_000 });
    t.equal(r.successful, 3, 'each call answered');
    // The carrier's scenario succeeds only when its 183 was PRACKed with RAck "1 <CSeq> INVITE" and the BYE came.
    t.equal(await sippCount(c, 3), 3, 'carrier-c got a PRACK for each reliable 183, then the ACK and the BYE');
    await assertReleased(t, tw, 8000, false);
    const recs = cdrs(tw.logs).slice(before);
    t.ok(recs.length === 3 && recs.every((x) => x.outcome === 'answered' && x.attempts.map((y) => y.carrier).join() === 'carrier-c'), 'CDR: answered on carrier-c, one attempt');
  });

  await t.test('every engine transaction ends within its RFC 3261 timer (D, J: 32 s)', async (t) => {
    await assertReleased(t, tw, 40_000, true);
  });
});
