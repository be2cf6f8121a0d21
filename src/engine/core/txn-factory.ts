/**
 * Builds transaction state machines bound to the transport layer. The per-transaction transport
 * adapter turns an asynchronous send failure into transportError() on that transaction.
 */
import type { SipRequest, Target } from '../../sip/message';
import { serializeMessage } from '../../sip/serializer';
import type {
  ClientTransaction, ClientTransactionUser, ServerTransaction, ServerTransactionUser, TransactionTransport,
} from '../transaction/types';
import { InviteClientTransaction } from '../transaction/invite-client';
import { NonInviteClientTransaction } from '../transaction/non-invite-client';
import { InviteServerTransaction } from '../transaction/invite-server';
import { NonInviteServerTransaction } from '../transaction/non-invite-server';
import type { CoreContext } from './context';

function adapter(ctx: CoreContext, onFail: () => void): TransactionTransport {
  return {
    // A send that throws (a bad target) is a transport error like any other — reported asynchronously,
    // never thrown into a transaction's timer.
    send: (msg, target) => {
      try {
        ctx.transport.send(msg, target, onFail);
      } catch {
        queueMicrotask(onFail);
      }
    },
    isReliable: (target) => ctx.transport.isReliable(target),
    // A transaction with its final keeps only the bytes of what it may re-send (issue 11); the
    // serializer remembered them when the message was sent. Test harnesses without sendBytes keep messages.
    ...(ctx.transport.sendBytes && {
      sentBytes: (msg) => {
        try {
          return serializeMessage(msg, true);
        } catch {
          return undefined;
        }
      },
      sendBytes: (bytes, target) => ctx.transport.sendBytes?.(bytes, target, onFail),
    }),
  };
}

export function createClientTxn(ctx: CoreContext, request: SipRequest, target: Target, user: ClientTransactionUser): ClientTransaction {
  const ref: { txn?: ClientTransaction } = {};
  const transport = adapter(ctx, () => ref.txn?.transportError());
  const opts = { request, target, transport, clock: ctx.clock, timers: ctx.timers, user };
  const txn = request.method === 'INVITE' ? new InviteClientTransaction(opts) : new NonInviteClientTransaction(opts);
  ref.txn = txn;
  return txn;
}

export function createServerTxn(ctx: CoreContext, request: SipRequest, source: Target, user: ServerTransactionUser): ServerTransaction {
  const ref: { txn?: ServerTransaction } = {};
  const transport = adapter(ctx, () => ref.txn?.transportError());
  const opts = { request, source, transport, clock: ctx.clock, timers: ctx.timers, user };
  const txn = request.method === 'INVITE'
    ? new InviteServerTransaction({ ...opts, autoTrying: true })
    : new NonInviteServerTransaction(opts);
  ref.txn = txn;
  return txn;
}
