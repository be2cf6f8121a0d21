/**
 * Builds transaction state machines bound to the transport layer. The per-transaction transport
 * adapter turns an asynchronous send failure into transportError() on that transaction.
 */
import type { SipMessage, SipRequest, Target } from '../../sip/message';
import { serializeMessage } from '../../sip/serializer';
import type {
  ClientTransaction, ClientTransactionUser, ServerTransaction, ServerTransactionUser, TransactionTransport,
} from '../transaction/types';
import { InviteClientTransaction } from '../transaction/invite-client';
import { NonInviteClientTransaction } from '../transaction/non-invite-client';
import { InviteServerTransaction } from '../transaction/invite-server';
import { NonInviteServerTransaction } from '../transaction/non-invite-server';
import type { CoreContext } from './context';

/**
 * One per transaction, alive for its whole wait window (tens of thousands at once under load): a
 * class whose methods live on the prototype, so each costs one object and one closure (the failure
 * callback the transport layer takes), not an object of four closures (issue 11).
 */
class TxnTransport implements TransactionTransport {
  txn: { transportError(): void } | undefined;

  constructor(private readonly ctx: CoreContext) {}

  /**
   * A failed send, reported by the transport layer after the fact. Each send passes its own short-lived
   * arrow to it rather than one kept per transaction: that closure and its context (~140 bytes) lived
   * as long as the transaction, 32 s for tens of thousands of them under load (issue 11).
   */
  private failed(): void {
    this.txn?.transportError();
  }

  // A send that throws (a bad target) is a transport error like any other — reported asynchronously,
  // never thrown into a transaction's timer.
  send(msg: SipMessage, target: Target): void {
    try {
      this.ctx.transport.send(msg, target, () => this.failed());
    } catch {
      queueMicrotask(() => this.failed());
    }
  }

  isReliable(target: Target): boolean {
    return this.ctx.transport.isReliable(target);
  }

  // A transaction with its final keeps only the bytes of what it may re-send (issue 11); the
  // serializer remembered them when the message was sent. A transport without sendBytes (the unit
  // tests' recording one) gets no bytes, so its transactions keep messages.
  sentBytes(msg: SipMessage): Buffer | undefined {
    if (!this.ctx.transport.sendBytes) return undefined;
    try {
      return serializeMessage(msg, true);
    } catch {
      return undefined;
    }
  }

  sendBytes(bytes: Buffer, target: Target): void {
    this.ctx.transport.sendBytes?.(bytes, target, () => this.failed());
  }
}

export function createClientTxn(ctx: CoreContext, request: SipRequest, target: Target, user: ClientTransactionUser): ClientTransaction {
  const transport = new TxnTransport(ctx);
  const opts = { request, target, transport, clock: ctx.clock, timers: ctx.timers, user };
  const txn = request.method === 'INVITE' ? new InviteClientTransaction(opts) : new NonInviteClientTransaction(opts);
  transport.txn = txn;
  return txn;
}

export function createServerTxn(ctx: CoreContext, request: SipRequest, source: Target, user: ServerTransactionUser): ServerTransaction {
  const transport = new TxnTransport(ctx);
  const opts = { request, source, transport, clock: ctx.clock, timers: ctx.timers, user };
  const txn = request.method === 'INVITE'
    ? new InviteServerTransaction({ ...opts, autoTrying: true })
    : new NonInviteServerTransaction(opts);
  transport.txn = txn;
  return txn;
}
