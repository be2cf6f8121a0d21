/**
 * Property tests (fast-check, fake clock) for shrunk transactions (issue 11): over a transport that
 * lets a transaction keep only bytes (as the engine's does), any sequence of retransmitted requests,
 * ACKs, responses and time after the final gives: every copy of the final (server) or of the ACK for
 * a non-2xx (client) byte for byte the first; exactly one copy per retransmission absorbed in
 * Completed/Accepted, none in Confirmed; an ACK for a non-2xx still matched (Completed → Confirmed,
 * silence after); onRetired once; Terminated once with no timer left.
 */
import t from 'tap';
import fc from 'fast-check';
import { FakeClock } from '../../src/engine/transaction/clock';
import { InviteClientTransaction } from '../../src/engine/transaction/invite-client';
import { NonInviteClientTransaction } from '../../src/engine/transaction/non-invite-client';
import { InviteServerTransaction } from '../../src/engine/transaction/invite-server';
import { NonInviteServerTransaction } from '../../src/engine/transaction/non-invite-server';
import { DEFAULT_TIMERS } from '../../src/engine/transaction/types';
import { UDP, TCP, byteTransport, request, response, events } from '../helpers/transactions';

type After = { k: 'advance'; ms: number } | { k: 'request' } | { k: 'ack' } | { k: 'response'; status: number };
const after: fc.Arbitrary<After> = fc.oneof(
  fc.record({ k: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 20_000 })) }),
  fc.record({ k: fc.constant('request' as const) }),
  fc.record({ k: fc.constant('ack' as const) }),
  fc.record({ k: fc.constant('response' as const), status: fc.constantFrom(180, 200, 486, 603) }),
);
const RUNS = { numRuns: 300, seed: 11 };
const FOREVER = 400_000;

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

t.test('server: the kept final is re-sent byte for byte, once per retransmission, never after the ACK of a non-2xx', async (t) => {
  for (const method of ['INVITE', 'BYE']) {
    fc.assert(fc.property(fc.constantFrom(200, 486, 503), fc.boolean(), fc.boolean(), fc.array(after, { maxLength: 25 }), (final, provisional, udp, list) => {
      const clock = new FakeClock();
      const tr = byteTransport(() => clock.now());
      const e = events();
      let retired = 0;
      const req = request(method);
      const o = { request: req, source: udp ? UDP : TCP, transport: tr, clock, timers: DEFAULT_TIMERS, user: { ...e.server, onRetired: () => void retired++ } };
      const txn = method === 'INVITE' ? new InviteServerTransaction({ ...o, autoTrying: true }) : new NonInviteServerTransaction(o);
      if (provisional) txn.respond(response(req, 180));
      const res = response(req, final);
      res.body = Buffer.from(final === 200 ? 'v=0\r\n' : '');
      txn.respond(res);
      const firstAt = tr.wire.findIndex((w) => !w.first.startsWith('SIP/2.0 1'));
      const first = tr.wire[firstAt]!.bytes;
      must(retired === (txn.state === 'terminated' ? 0 : 1), `onRetired once when a wait window follows (${txn.state})`);
      let ackedNon2xx = false;
      let acked2xx = false;
      for (const x of list) {
        const before = tr.wire.length;
        const state = txn.state;
        if (x.k === 'advance') clock.advance(x.ms);
        else if (x.k === 'request') {
          txn.receiveRequest(request(method));
          // RFC 6026 §7.1: in Accepted a retransmitted INVITE is absorbed once the ACK came (before it, the 2xx again).
          const echoes = state === 'completed' || (state === 'accepted' && method === 'INVITE' && !acked2xx) ? 1 : 0;
          must(tr.wire.length - before === echoes, `${state}: ${echoes} copy for a retransmitted request`);
        } else if (x.k === 'ack' && method === 'INVITE') {
          txn.receiveAck(request('ACK'));
          if (state === 'accepted') acked2xx = true;
          if (state === 'completed') {
            must(txn.state === 'confirmed' || !udp && txn.state === 'terminated', `ACK for the non-2xx matched (${txn.state})`);
            ackedNon2xx = true;
          }
        }
        if (ackedNon2xx && x.k !== 'ack') must(tr.wire.length === before, 'silent after the ACK of a non-2xx');
      }
      clock.advance(FOREVER);
      const copies = tr.wire.slice(firstAt);
      must(copies.every((w) => w.bytes.equals(first)), 'every copy is the first final, byte for byte');
      must(!udp || copies.slice(1).every((w) => w.kept), 'over UDP the copies come from the kept bytes');
      must(txn.state === 'terminated' && clock.pending() === 0, 'terminated, no timer left');
      must(e.log.filter((l) => l === 'terminated').length === 1, 'onTerminated once');
      must(retired <= 1, 'onRetired at most once');
    }), RUNS);
    t.pass(`${method} server: ${RUNS.numRuns} sequences`);
  }
});

t.test('client: the ACK for a non-2xx is kept as bytes and re-sent byte for byte for each retransmitted final', async (t) => {
  for (const method of ['INVITE', 'OPTIONS']) {
    fc.assert(fc.property(fc.constantFrom(200, 486, 603), fc.boolean(), fc.array(after, { maxLength: 25 }), (final, udp, list) => {
      const clock = new FakeClock();
      const tr = byteTransport(() => clock.now());
      const e = events();
      let retired = 0;
      const req = request(method);
      const o = { request: req, target: udp ? UDP : TCP, transport: tr, clock, timers: DEFAULT_TIMERS, user: { ...e.client, onRetired: () => void retired++ } };
      const txn = method === 'INVITE' ? new InviteClientTransaction(o) : new NonInviteClientTransaction(o);
      txn.receiveResponse(response(req, final));
      const acks = (): Buffer[] => tr.wire.filter((w) => w.first.startsWith('ACK ')).map((w) => w.bytes);
      must(acks().length === (method === 'INVITE' && final >= 300 ? 1 : 0), 'one ACK for an INVITE\'s non-2xx, none otherwise');
      const waiting = txn.state !== 'terminated';
      must(retired === (waiting ? 1 : 0), 'onRetired once when a wait window follows');
      for (const x of list) {
        const before = acks().length;
        const state = txn.state;
        if (x.k === 'advance') clock.advance(x.ms);
        else if (x.k === 'response') {
          txn.receiveResponse(response(request(method), x.status));
          const again = method === 'INVITE' && state === 'completed' && x.status >= 300 ? 1 : 0;
          must(acks().length - before === again, `${state}: ${again} ACK copy for a retransmitted ${x.status}`);
        }
      }
      clock.advance(FOREVER);
      const all = acks();
      must(all.every((b) => b.equals(all[0]!)), 'every ACK copy byte for byte the first');
      must(!udp || tr.wire.filter((w) => w.first.startsWith('ACK ')).slice(1).every((w) => w.kept), 'copies from the kept bytes');
      must(!tr.wire.slice(1).some((w) => w.first.startsWith(`${method} `) && w.at > 0 && txn.state !== 'terminated'), 'the request is never re-sent after its final');
      must(txn.state === 'terminated' && clock.pending() === 0, 'terminated, no timer left');
      must(e.log.filter((l) => l === 'terminated').length === 1, 'onTerminated once');
    }), RUNS);
    t.pass(`${method} client: ${RUNS.numRuns} sequences`);
  }
});
