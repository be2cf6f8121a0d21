/**
 * Property tests (fast-check) for the four RFC 3261 transaction state machines on the fake clock:
 * any sequence of events (responses of any class, retransmitted requests, ACKs, transport errors,
 * CANCEL sent, time passing) never throws, ends in Terminated with no timer left once the TU has
 * answered and time runs on, reports Terminated exactly once, sends nothing after it, and keeps the
 * retransmission timers the RFC gives (§17.1.2.2: non-INVITE intervals never above T2; §17.1.1.2:
 * INVITE intervals double from T1).
 */
import t from 'tap';
import fc from 'fast-check';
import { FakeClock } from '../../src/engine/transaction/clock';
import { InviteClientTransaction } from '../../src/engine/transaction/invite-client';
import { NonInviteClientTransaction } from '../../src/engine/transaction/non-invite-client';
import { InviteServerTransaction } from '../../src/engine/transaction/invite-server';
import { NonInviteServerTransaction } from '../../src/engine/transaction/non-invite-server';
import { DEFAULT_TIMERS } from '../../src/engine/transaction/types';
import { UDP, TCP, recorder, request, response, events } from '../helpers/transactions';

const STATUSES = [100, 180, 183, 200, 202, 299, 302, 401, 486, 487, 500, 503, 603, 699];
type Ev =
  | { k: 'advance'; ms: number }
  | { k: 'response'; status: number; tag: number }
  | { k: 'request' }
  | { k: 'ack' }
  | { k: 'respond'; status: number }
  | { k: 'transportError' }
  | { k: 'cancelSent' };

const ev: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({ k: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 40_000 })) }),
  fc.record({ k: fc.constant('response' as const), status: fc.constantFrom(...STATUSES), tag: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('request' as const) }),
  fc.record({ k: fc.constant('ack' as const) }),
  fc.record({ k: fc.constant('respond' as const), status: fc.constantFrom(...STATUSES) }),
  fc.record({ k: fc.constant('transportError' as const) }),
  fc.record({ k: fc.constant('cancelSent' as const) }),
);
const scenario = fc.record({ events: fc.array(ev, { maxLength: 30 }), udp: fc.boolean() });
/** Longer than any timer the machines arm (timer C is 185 s). */
const FOREVER = 400_000;
const RUNS = { numRuns: 300, seed: 9 };

/** A failed property throws: fast-check shrinks it and reports the counterexample. */
function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function ack(inviteReq: ReturnType<typeof request>) {
  const a = request('ACK');
  a.headers.set('Via', inviteReq.headers.get('via')!);
  return a;
}

t.test('client transactions: any event sequence, no throw, terminated once, silent after, timers per RFC', async (t) => {
  for (const method of ['INVITE', 'OPTIONS']) {
    fc.assert(fc.property(scenario, ({ events: list, udp }) => {
      const clock = new FakeClock();
      const transport = recorder(() => clock.now());
      const e = events();
      const req = request(method);
      const o = { request: req, target: udp ? UDP : TCP, transport, clock, timers: DEFAULT_TIMERS, user: e.client };
      const txn = method === 'INVITE' ? new InviteClientTransaction(o) : new NonInviteClientTransaction(o);
      let sentAtTermination: number | undefined;
      const check = (): void => {
        if (txn.state === 'terminated' && sentAtTermination === undefined) sentAtTermination = transport.sent.length;
      };
      for (const x of list) {
        if (x.k === 'advance') clock.advance(x.ms);
        else if (x.k === 'response') txn.receiveResponse(response(req, x.status, `t${x.tag}`));
        else if (x.k === 'transportError') txn.transportError();
        else if (x.k === 'cancelSent') txn.cancelSent();
        check();
      }
      // §9.1: an INVITE still proceeding is the TU's to CANCEL; then it must end within 64·T1.
      if (txn.state === 'proceeding' && method === 'INVITE') txn.cancelSent();
      clock.advance(FOREVER);
      check();
      must(txn.state === 'terminated', `${method}: terminated (state ${txn.state})`);
      must(clock.pending() === 0, 'no timer left');
      must(e.log.filter((l) => l === 'terminated').length === 1, 'onTerminated once');
      // The ACK for a non-2xx retransmitted final may still go out in Completed; after Terminated nothing does.
      must(transport.sent.length === sentAtTermination, 'nothing sent after terminated');
      // Retransmissions of the request itself (before any response): intervals per §17.1.1.2 / §17.1.2.2.
      const reqSends = transport.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === method).map((s) => s.at);
      for (let i = 2; i < reqSends.length; i++) {
        const gap = reqSends[i]! - reqSends[i - 1]!;
        const prev = reqSends[i - 1]! - reqSends[i - 2]!;
        if (method === 'INVITE') must(gap === prev * 2, 'INVITE: timer A doubles');
        else must(gap <= DEFAULT_TIMERS.T2 && gap >= prev, 'non-INVITE: timer E doubles up to T2');
      }
      must(udp || reqSends.length <= 1, 'no retransmission over TCP');
    }), RUNS);
    t.pass(`${method} client: ${RUNS.numRuns} sequences`);
  }
});

t.test('server transactions: any event sequence, then the TU answers: no throw, terminated once, no timer left', async (t) => {
  for (const method of ['INVITE', 'OPTIONS']) {
    fc.assert(fc.property(scenario, fc.constantFrom(200, 486), ({ events: list, udp }, last) => {
      const clock = new FakeClock();
      const transport = recorder(() => clock.now());
      const e = events();
      const req = request(method);
      const o = { request: req, source: udp ? UDP : TCP, transport, clock, timers: DEFAULT_TIMERS, user: e.server };
      const txn = method === 'INVITE' ? new InviteServerTransaction({ ...o, autoTrying: true }) : new NonInviteServerTransaction(o);
      let sentAtTermination: number | undefined;
      const respond = (status: number): void => txn.respond(response(req, status));
      for (const x of list) {
        if (x.k === 'advance') clock.advance(x.ms);
        else if (x.k === 'request') txn.receiveRequest(req);
        else if (x.k === 'ack') txn.receiveAck(ack(req));
        else if (x.k === 'respond') respond(x.status);
        else if (x.k === 'transportError') txn.transportError();
        if (txn.state === 'terminated' && sentAtTermination === undefined) sentAtTermination = transport.sent.length;
      }
      respond(last);
      if (txn.state === 'terminated' && sentAtTermination === undefined) sentAtTermination = transport.sent.length;
      clock.advance(FOREVER);
      if (sentAtTermination === undefined) sentAtTermination = transport.sent.length;
      must(txn.state === 'terminated', `${method}: terminated (state ${txn.state})`);
      must(clock.pending() === 0, 'no timer left');
      must(e.log.filter((l) => l === 'terminated').length === 1, 'onTerminated once');
      must(transport.sent.length === sentAtTermination, 'nothing sent after terminated');
      const finals = transport.sent.filter((s) => s.msg.kind === 'response' && s.msg.status >= 200).map((s) => s.at);
      // §17.2.1 timer G: a final over UDP is retransmitted at T1, 2·T1 … capped at T2; never over TCP.
      for (let i = 1; i < finals.length; i++) must(finals[i]! - finals[i - 1]! <= DEFAULT_TIMERS.T2 || !udp, 'timer G capped at T2');
    }), RUNS);
    t.pass(`${method} server: ${RUNS.numRuns} sequences`);
  }
});
