/**
 * Issue 11: a transaction that has its final response keeps only what its wait window needs — the
 * match key (the core's), the last message's bytes for re-sending, its timers — and lets the parsed
 * request and response go. Checked with WeakRefs after a forced GC while the transaction is still
 * open, and by the bytes it re-sends (identical to the first send).
 */
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { SipRequest, SipResponse, Target } from '../../src/sip/message';
import { serializeMessage } from '../../src/sip/serializer';
import { FakeClock } from '../../src/engine/transaction/clock';
import { InviteClientTransaction } from '../../src/engine/transaction/invite-client';
import { NonInviteClientTransaction } from '../../src/engine/transaction/non-invite-client';
import { InviteServerTransaction } from '../../src/engine/transaction/invite-server';
import { NonInviteServerTransaction } from '../../src/engine/transaction/non-invite-server';
import { DEFAULT_TIMERS, type TransactionTransport } from '../../src/engine/transaction/types';
import { UDP, request, response, events } from '../helpers/transactions';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collected yet? A WeakRef's target lives at least to the end of the job that made it: wait one turn. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((r) => setImmediate(r));
  gc();
  return ref.deref() === undefined;
}

interface Wire { first: string; bytes: Buffer }

/** A transport that can re-send kept bytes, as the engine's is: every send recorded as the bytes on the wire. */
function byteTransport(): TransactionTransport & { wire: Wire[]; fromBytes: number } {
  const wire: Wire[] = [];
  const rec = (bytes: Buffer): void => void wire.push({ first: bytes.toString('latin1').split('\r\n', 1)[0]!, bytes });
  const tr = {
    wire,
    fromBytes: 0,
    send: (msg: SipRequest | SipResponse) => rec(serializeMessage(msg, true)),
    isReliable: (x: Target) => x.protocol !== 'udp',
    sentBytes: (msg: SipRequest | SipResponse) => serializeMessage(msg, true),
    sendBytes: (bytes: Buffer) => {
      tr.fromBytes++;
      rec(bytes);
    },
  };
  return tr;
}

t.test('INVITE server, non-2xx: request and response let go in Completed; retransmissions re-send the same bytes; the ACK still confirms', async (t) => {
  const clock = new FakeClock();
  const tr = byteTransport();
  const e = events();
  let retired = 0;
  const made = (() => {
    const req = request('INVITE');
    const txn = new InviteServerTransaction({ request: req, source: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, autoTrying: true,
      user: { ...e.server, onRetired: () => void retired++ } });
    const res = response(req, 486);
    txn.respond(res);
    return { txn, reqRef: new WeakRef(req), resRef: new WeakRef(res) };
  })();
  const { txn } = made;
  t.equal(txn.state, 'completed');
  t.equal(retired, 1, 'the user hears once that the transaction shrank');
  t.ok(await collected(made.reqRef), 'the parsed INVITE is not kept');
  t.ok(await collected(made.resRef), 'the parsed 486 is not kept');
  const first = tr.wire[1]!.bytes;
  txn.receiveRequest(request('INVITE'));
  clock.advance(500); // timer G
  t.same(tr.wire.slice(2).map((w) => w.bytes.equals(first)), [true, true], 'retransmitted INVITE and timer G re-send the 486 byte for byte');
  t.ok(tr.fromBytes >= 2, 'from the kept bytes');
  txn.receiveAck(request('ACK'));
  t.equal(txn.state, 'confirmed');
  const n = tr.wire.length;
  clock.advance(4000);
  t.equal(tr.wire.length, n, 'no retransmission after the ACK');
  clock.advance(5000); // timer I
  t.equal(txn.state, 'terminated');
  t.same(e.log, ['ack', 'terminated']);
  t.equal(retired, 1);
});

t.test('INVITE server, 2xx: Accepted keeps only the 2xx bytes; timer G re-sends them until the ACK', async (t) => {
  const clock = new FakeClock();
  const tr = byteTransport();
  const e = events();
  const made = (() => {
    const req = request('INVITE');
    const txn = new InviteServerTransaction({ request: req, source: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, autoTrying: false, user: e.server });
    const res = response(req, 200);
    res.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    txn.respond(res);
    return { txn, reqRef: new WeakRef(req), resRef: new WeakRef(res) };
  })();
  t.ok(await collected(made.reqRef), 'INVITE not kept');
  t.ok(await collected(made.resRef), '200 (with its SDP) not kept');
  clock.advance(1500);
  t.equal(tr.wire.length, 3, '200 at 0, 0.5, 1.5 s');
  t.ok(tr.wire.every((w) => w.bytes.equals(tr.wire[0]!.bytes)), 'the same bytes each time');
  made.txn.receiveAck(request('ACK'));
  clock.advance(4000);
  t.equal(tr.wire.length, 3, 'no 2xx retransmission after the ACK');
  clock.advance(32_000);
  t.equal(made.txn.state, 'terminated');
});

t.test('INVITE server, 2xx: once the ACK came the 2xx bytes are let go, and a retransmitted INVITE is absorbed (RFC 6026 §7.1)', async (t) => {
  const clock = new FakeClock();
  const tr = byteTransport();
  const kept: Array<WeakRef<Buffer>> = [];
  // Kept bytes of their own (the recording transport's wire log holds the serializer's), to watch them.
  tr.sentBytes = (msg: SipRequest | SipResponse) => {
    const b = Buffer.from(serializeMessage(msg, true));
    kept.push(new WeakRef(b));
    return b;
  };
  let resent = 0;
  tr.sendBytes = () => void resent++; // counted, not recorded: the record would hold the bytes
  const e = events();
  const txn = (() => {
    const req = request('INVITE');
    const x = new InviteServerTransaction({ request: req, source: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, autoTrying: false, user: e.server });
    x.respond(response(req, 200));
    return x;
  })();
  t.equal(kept.length, 1, 'the 2xx kept as bytes');
  txn.receiveRequest(request('INVITE'));
  t.equal(resent, 1, 'before the ACK a retransmitted INVITE gets the 2xx again');
  t.notOk(await collected(kept[0]!), 'kept until the ACK');
  txn.receiveAck(request('ACK'));
  t.ok(await collected(kept[0]!), 'the 2xx bytes are let go once the ACK came');
  txn.receiveRequest(request('INVITE'));
  t.equal(resent, 1, 'a retransmitted INVITE after the ACK is absorbed');
  t.equal(txn.state, 'accepted', 'still absorbing until timer L');
  clock.advance(32_000);
  t.equal(txn.state, 'terminated');
});

t.test('non-INVITE server: Completed keeps the final bytes, re-sends them for a retransmitted request', async (t) => {
  const clock = new FakeClock();
  const tr = byteTransport();
  const e = events();
  const made = (() => {
    const req = request('BYE');
    const txn = new NonInviteServerTransaction({ request: req, source: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, user: e.server });
    const res = response(req, 200);
    txn.respond(res);
    return { txn, reqRef: new WeakRef(req), resRef: new WeakRef(res) };
  })();
  t.ok(await collected(made.reqRef), 'BYE not kept');
  t.ok(await collected(made.resRef), '200 not kept');
  made.txn.receiveRequest(request('BYE'));
  t.equal(tr.wire.length, 2);
  t.ok(tr.wire[1]!.bytes.equals(tr.wire[0]!.bytes), 'same bytes');
  clock.advance(32_000);
  t.equal(made.txn.state, 'terminated');
});

t.test('INVITE client, non-2xx: the INVITE is let go in Completed; a retransmitted final re-sends the same ACK bytes', async (t) => {
  const clock = new FakeClock();
  const tr = byteTransport();
  const e = events();
  let retired = 0;
  const made = (() => {
    const req = request('INVITE');
    const txn = new InviteClientTransaction({ request: req, target: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, user: { ...e.client, onRetired: () => void retired++ } });
    return { txn, req, reqRef: new WeakRef(req) };
  })();
  const { txn } = made;
  txn.receiveResponse(response(made.req, 486));
  (made as { req?: SipRequest }).req = undefined;
  t.equal(txn.state, 'completed');
  t.equal(retired, 1);
  t.ok(await collected(made.reqRef), 'the INVITE is not kept in Completed');
  t.match(tr.wire[1]!.first, /^ACK /);
  txn.receiveResponse(response(request('INVITE'), 486));
  t.equal(tr.wire.length, 3);
  t.ok(tr.wire[2]!.bytes.equals(tr.wire[1]!.bytes), 'the same ACK bytes');
  clock.advance(32_000);
  t.equal(txn.state, 'terminated');
  t.same(e.log, ['response 486', 'terminated']);
});

t.test('INVITE client 2xx (Accepted) and non-INVITE client (Completed) let the request go', async (t) => {
  for (const [method, status, state] of [['INVITE', 200, 'accepted'], ['OPTIONS', 200, 'completed']] as const) {
    const clock = new FakeClock();
    const tr = byteTransport();
    const e = events();
    const made = (() => {
      const req = request(method);
      const o = { request: req, target: UDP, transport: tr, clock, timers: DEFAULT_TIMERS, user: e.client };
      const txn = method === 'INVITE' ? new InviteClientTransaction(o) : new NonInviteClientTransaction(o);
      txn.receiveResponse(response(req, status));
      return { txn, reqRef: new WeakRef(req) };
    })();
    t.equal(made.txn.state, state);
    t.ok(await collected(made.reqRef), `${method}: request not kept in ${state}`);
    clock.advance(40_000);
    t.equal(made.txn.state, 'terminated');
  }
});
