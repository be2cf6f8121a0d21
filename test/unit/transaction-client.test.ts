import t from 'tap';
import { FakeClock } from '../../src/engine/transaction/clock';
import { InviteClientTransaction, buildNon2xxAck } from '../../src/engine/transaction/invite-client';
import { NonInviteClientTransaction } from '../../src/engine/transaction/non-invite-client';
import { DEFAULT_TIMERS } from '../../src/engine/transaction/types';
import { UDP, TCP, recorder, request, response, events } from '../helpers/transactions';

function invite(target = UDP) {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const ev = events();
  const req = request('INVITE');
  const txn = new InviteClientTransaction({ request: req, target, transport, clock, timers: DEFAULT_TIMERS, user: ev.client });
  return { clock, transport, ev, req, txn };
}

t.test('INVITE over UDP: timer A retransmits at 0.5, 1.5, 3.5, 7.5 … s; timer B fails it at 32 s', async (t) => {
  const { clock, transport, ev, txn } = invite();
  clock.advance(32_000);
  t.same(transport.sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.same(ev.log, ['failure timeout', 'terminated'], 'onFailure once, then terminated');
  t.equal(txn.state, 'terminated');
  t.equal(clock.pending(), 0, 'no timer left');
});

t.test('INVITE over TCP: no retransmission, still timer B', async (t) => {
  const { clock, transport, ev } = invite(TCP);
  clock.advance(31_999);
  t.equal(transport.sent.length, 1);
  t.same(ev.log, []);
  clock.advance(1);
  t.same(ev.log, ['failure timeout', 'terminated']);
});

t.test('a provisional stops retransmissions and timer B', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  clock.advance(600);
  txn.receiveResponse(response(req, 100));
  t.equal(txn.state, 'proceeding');
  clock.advance(60_000);
  t.equal(transport.sent.length, 2, 'INVITE + one retransmission before the 100');
  t.same(ev.log, ['response 100']);
});

t.test('non-2xx final: ACK generated once per final, passed up once; timer D cleans up at 32 s (UDP)', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  const busy = response(req, 486);
  txn.receiveResponse(busy);
  t.equal(txn.state, 'completed');
  const ack = transport.sent[1]!.msg;
  t.equal(ack.kind === 'request' && ack.method, 'ACK');
  txn.receiveResponse(busy);
  t.equal(transport.sent.length, 3, 'retransmitted 486 re-sends the ACK');
  t.same(ev.log, ['response 486'], 'the TU sees the 486 once');
  clock.advance(31_999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.same(ev.log, ['response 486', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('non-2xx final over TCP: timer D is zero', async (t) => {
  const { ev, req, txn } = invite(TCP);
  txn.receiveResponse(response(req, 503));
  t.same(ev.log, ['response 503', 'terminated']);
});

t.test('the ACK for a non-2xx carries the INVITE\'s URI, Via, From, Call-ID, CSeq number, Route and the response To', async (t) => {
  const req = request('INVITE');
  const ack = buildNon2xxAck(req, response(req, 486, 'busytag'));
  t.equal(ack.uri, req.uri);
  t.same(ack.headers.getAll('via'), [req.headers.getAll('via')[0]]);
  t.equal(ack.headers.get('from'), req.headers.get('from'));
  t.equal(ack.headers.get('to'), '<sip:b@127.0.0.1>;tag=busytag');
  t.equal(ack.headers.get('call-id'), 'call-1');
  t.equal(ack.headers.get('cseq'), '7 ACK');
  t.same(ack.headers.getAll('route'), ['<sip:proxy.example;lr>']);
});

t.test('2xx: Accepted (RFC 6026) passes retransmitted 2xx up; timer M cleans up', async (t) => {
  const { clock, ev, req, txn } = invite();
  const ok = response(req, 200);
  txn.receiveResponse(ok);
  t.equal(txn.state, 'accepted');
  txn.receiveResponse(ok);
  t.same(ev.log, ['response 200', 'response 200']);
  clock.advance(32_000);
  t.same(ev.log, ['response 200', 'response 200', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('transport error while calling → onFailure(transport-error)', async (t) => {
  const { clock, ev, txn } = invite();
  txn.transportError();
  t.same(ev.log, ['failure transport-error', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('destroy cancels every timer', async (t) => {
  const { clock, txn } = invite();
  txn.destroy();
  t.equal(clock.pending(), 0);
});

function nonInvite(target = UDP) {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const ev = events();
  const req = request('OPTIONS');
  const txn = new NonInviteClientTransaction({ request: req, target, transport, clock, timers: DEFAULT_TIMERS, user: ev.client });
  return { clock, transport, ev, req, txn };
}

t.test('non-INVITE over UDP: timer E doubles up to T2 (4 s); timer F fails it at 32 s', async (t) => {
  const { clock, transport, ev } = nonInvite();
  clock.advance(32_000);
  t.same(transport.sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.same(ev.log, ['failure timeout', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('non-INVITE proceeding: retransmits every T2; final → completed; timer K = T4 on UDP', async (t) => {
  const { clock, transport, ev, req, txn } = nonInvite();
  txn.receiveResponse(response(req, 100));
  const before = transport.sent.length;
  clock.advance(500);
  t.equal(transport.sent.length, before + 1, 'E still fires in proceeding');
  clock.advance(4000);
  t.equal(transport.sent.length, before + 2, 'next one T2 later');
  txn.receiveResponse(response(req, 200));
  txn.receiveResponse(response(req, 200));
  t.same(ev.log, ['response 100', 'response 200'], 'retransmitted final absorbed');
  clock.advance(4999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.equal(txn.state, 'terminated');
  t.equal(clock.pending(), 0);
});

t.test('non-INVITE over TCP: no retransmission and timer K is zero', async (t) => {
  const { clock, transport, ev, req, txn } = nonInvite(TCP);
  clock.advance(10_000);
  t.equal(transport.sent.length, 1);
  txn.receiveResponse(response(req, 200));
  t.same(ev.log, ['response 200', 'terminated']);
});

t.test('RFC 3261 §9.1: CANCEL sent, no final within 64·T1 → the INVITE gives up (onFailure timeout)', async (t) => {
  const { clock, ev, req, txn } = invite();
  txn.receiveResponse(response(req, 180));
  txn.cancelSent();
  clock.advance(31_999);
  t.same(ev.log, ['response 180'], 'still waiting for the 487');
  clock.advance(1);
  t.same(ev.log, ['response 180', 'failure timeout', 'terminated']);
  t.equal(clock.pending(), 0, 'no timer left');
});

t.test('CANCEL sent and the 487 arrives in time: completed as usual, the 64·T1 wait is cancelled', async (t) => {
  const { clock, ev, req, txn } = invite();
  txn.receiveResponse(response(req, 180));
  txn.cancelSent();
  clock.advance(1000);
  txn.receiveResponse(response(req, 487));
  clock.advance(40_000);
  t.same(ev.log, ['response 180', 'response 487', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('timer C (RFC 3261 §16.6): restarted by each provisional; fires onTimerC once the provisionals stop', async (t) => {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const ev = events();
  const req = request('INVITE');
  const txn = new InviteClientTransaction({
    request: req, target: UDP, transport, clock, timers: { ...DEFAULT_TIMERS, C: 10_000 },
    user: { ...ev.client, onTimerC: () => void ev.log.push('timer C') },
  });
  txn.receiveResponse(response(req, 180));
  clock.advance(9_000);
  txn.receiveResponse(response(req, 183));
  clock.advance(9_000);
  t.same(ev.log, ['response 180', 'response 183'], 'the 183 restarted C');
  clock.advance(1_000);
  t.same(ev.log, ['response 180', 'response 183', 'timer C']);
  txn.cancelSent();
  clock.advance(32_000);
  t.same(ev.log.slice(-2), ['failure timeout', 'terminated'], 'after timer C the TU cancels and the §9.1 wait ends it');
  t.equal(clock.pending(), 0);
});

t.test('timer C defaults to 185 s (> 3 min)', async (t) => {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const log: string[] = [];
  const req = request('INVITE');
  new InviteClientTransaction({ request: req, target: UDP, transport, clock, timers: { T1: 500, T2: 4000, T4: 5000 },
    user: { onResponse: () => undefined, onFailure: () => undefined, onTerminated: () => undefined, onTimerC: () => void log.push(`C at ${clock.now()}`) } })
    .receiveResponse(response(req, 180));
  clock.advance(200_000);
  t.same(log, ['C at 185000']);
});
