import t from 'tap';
import { FakeClock } from '../../src/engine/transaction/clock';
import { InviteServerTransaction } from '../../src/engine/transaction/invite-server';
import { NonInviteServerTransaction } from '../../src/engine/transaction/non-invite-server';
import { DEFAULT_TIMERS } from '../../src/engine/transaction/types';
import type { SipResponse } from '../../src/sip/message';
import { UDP, TCP, recorder, request, response, events } from '../helpers/transactions';

function invite(source = UDP) {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const ev = events();
  const req = request('INVITE');
  const txn = new InviteServerTransaction({ request: req, source, transport, clock, timers: DEFAULT_TIMERS, user: ev.server, autoTrying: true });
  return { clock, transport, ev, req, txn };
}
const status = (m: unknown): number => (m as SipResponse).status;

t.test('100 Trying at once, without a To tag; a retransmitted INVITE re-sends the last provisional', async (t) => {
  const { transport, req, txn } = invite();
  t.equal(status(transport.sent[0]!.msg), 100);
  t.notMatch((transport.sent[0]!.msg as SipResponse).headers.get('to')!, /tag=/);
  txn.respond(response(req, 180));
  txn.receiveRequest(req);
  t.same(transport.sent.map((s) => status(s.msg)), [100, 180, 180]);
});

t.test('non-2xx over UDP: timer G retransmits (0.5, 1, 2, 4, 4 … s); timer H → onAckTimeout at 32 s', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  txn.respond(response(req, 486));
  clock.advance(32_000);
  const at = transport.sent.filter((s) => status(s.msg) === 486).map((s) => s.at);
  t.same(at.slice(0, 7), [0, 500, 1500, 3500, 7500, 11500, 15500]);
  t.same(ev.log, ['ack-timeout', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('ACK for the non-2xx → confirmed; timer I (T4 = 5 s) then terminated', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  txn.respond(response(req, 486));
  clock.advance(600);
  txn.receiveAck(request('ACK'));
  t.equal(txn.state, 'confirmed');
  const n = transport.sent.length;
  clock.advance(4999);
  t.equal(transport.sent.length, n, 'no retransmission after the ACK');
  t.equal(txn.state, 'confirmed');
  clock.advance(1);
  t.same(ev.log, ['ack', 'terminated']);
  t.equal(clock.pending(), 0);
});

t.test('a retransmitted INVITE in completed re-sends the final', async (t) => {
  const { transport, req, txn } = invite(TCP);
  txn.respond(response(req, 503));
  txn.receiveRequest(req);
  t.same(transport.sent.map((s) => status(s.msg)), [100, 503, 503]);
});

t.test('2xx over UDP: retransmitted until the ACK, which is handed over once; timer L cleans up', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  txn.respond(response(req, 200));
  t.equal(txn.state, 'accepted');
  clock.advance(1600);
  t.equal(transport.sent.filter((s) => status(s.msg) === 200).length, 3, '200 at 0, 0.5, 1.5 s');
  txn.receiveAck(request('ACK'));
  txn.receiveAck(request('ACK'));
  const n = transport.sent.length;
  clock.advance(10_000);
  t.equal(transport.sent.length, n, 'no 2xx retransmission after the ACK');
  t.same(ev.log, ['ack']);
  clock.advance(22_000);
  t.same(ev.log, ['ack', 'terminated'], 'timer L');
  t.equal(clock.pending(), 0);
});

t.test('2xx never ACKed: timer H reports the ACK timeout (the core then sends BYE)', async (t) => {
  const { clock, ev, req, txn } = invite();
  txn.respond(response(req, 200));
  clock.advance(32_000);
  t.same(ev.log, ['ack-timeout', 'terminated']);
});

t.test('2xx over TCP: no retransmission', async (t) => {
  const { clock, transport, req, txn } = invite(TCP);
  txn.respond(response(req, 200));
  clock.advance(10_000);
  t.same(transport.sent.map((s) => status(s.msg)), [100, 200]);
});

function nonInvite(source = UDP) {
  const clock = new FakeClock();
  const transport = recorder(() => clock.now());
  const ev = events();
  const req = request('BYE');
  const txn = new NonInviteServerTransaction({ request: req, source, transport, clock, timers: DEFAULT_TIMERS, user: ev.server });
  return { clock, transport, ev, req, txn };
}

t.test('non-INVITE server: retransmission absorbed in trying, answered in completed; timer J = 32 s on UDP', async (t) => {
  const { clock, transport, ev, req, txn } = nonInvite();
  txn.receiveRequest(req);
  t.equal(transport.sent.length, 0, 'nothing to re-send yet');
  txn.respond(response(req, 200));
  txn.receiveRequest(req);
  t.equal(transport.sent.length, 2, 'final re-sent');
  clock.advance(31_999);
  t.equal(txn.state, 'completed');
  clock.advance(1);
  t.same(ev.log, ['terminated']);
  t.equal(clock.pending(), 0);
});

t.test('non-INVITE server over TCP: timer J is zero', async (t) => {
  const { ev, req, txn } = nonInvite(TCP);
  txn.respond(response(req, 200));
  t.same(ev.log, ['terminated']);
});

t.test('a second final response is ignored', async (t) => {
  const { transport, req, txn } = nonInvite();
  txn.respond(response(req, 200));
  txn.respond(response(req, 500));
  t.same(transport.sent.map((s) => status(s.msg)), [200]);
});

t.test('RFC 6026 §7.1: a transport error in Accepted does not end the transaction (retransmissions still absorbed)', async (t) => {
  const { clock, transport, ev, req, txn } = invite();
  txn.respond(response(req, 200));
  txn.transportError();
  t.equal(txn.state, 'accepted', 'still Accepted');
  txn.receiveRequest(req);
  t.equal(transport.sent.filter((s) => status(s.msg) === 200).length, 2, 'the retransmitted INVITE is answered with the 2xx, not taken for a new call');
  clock.advance(32_000);
  t.same(ev.log, ['transport-error', 'ack-timeout', 'terminated'], 'ends by timer L as usual');
  t.equal(clock.pending(), 0);
});

t.test('a transport error in Completed (non-2xx) still ends the transaction (RFC 3261 §17.2.4)', async (t) => {
  const { ev, req, txn } = invite();
  txn.respond(response(req, 486));
  txn.transportError();
  t.same(ev.log, ['transport-error', 'terminated']);
});
