/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *   trying ──1xx──▶ proceeding ──final──▶ completed ──J──▶ terminated
 *     └──final──▶ completed
 *   trying / proceeding ──64·T1 without a final from the TU──▶ terminated (silently)
 *
 * The last edge is ours: RFC 3261 gives the server no timer there, so a request the application
 * never answers (drachtio-srf leaves an UPDATE it cannot route unanswered) would hold the
 * transaction for ever. After 64·T1 the client's timer F has fired and a response is useless (RFC
 * 4320 §4.1: no late 408), so the transaction ends without one.
 */
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { TransactionBase, type Kept } from './base';
import { timerValues } from './timers';
import type { ServerTransaction, ServerTransactionState, ServerTransactionUser } from './types';
import type { ServerTransactionOptions } from './invite-server';
import { topVia } from './util';

export class NonInviteServerTransaction extends TransactionBase<ServerTransactionState> implements ServerTransaction {
  readonly id: string;
  readonly source: Target;
  private readonly user: ServerTransactionUser;
  /** The last response sent: the message while provisional, its bytes once final (when the transport offers them). */
  private last: Kept | undefined;

  constructor(o: ServerTransactionOptions) {
    super('trying', o.clock, o.transport, timerValues(o.timers, o.transport.isReliable(o.source)), o.user);
    this.source = o.source;
    this.user = o.user;
    this.id = o.id ?? topVia(o.request);
    this.startTimer('unanswered', this.t.F, () => this.terminate());
  }

  receiveRequest(_req: SipRequest): void {
    // trying: absorbed (nothing to re-send yet); proceeding/completed: re-send the last response.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.resend(this.last, this.source);
  }

  receiveAck(_ack: SipRequest): void {
    // ACK belongs to INVITE transactions only.
  }

  respond(res: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.send(res, this.source);
    if (res.status < 200) {
      this.last = res;
      this.state = 'proceeding';
      return;
    }
    this.last = this.keep(res, this.source);
    this.stopTimer('unanswered');
    this.state = 'completed';
    if (this.t.J === 0) return this.terminate();
    this.startTimer('J', this.t.J, () => this.terminate());
    this.user.onRetired?.();
  }

  transportError(): void {
    if (this.state === 'terminated') return;
    this.user.onTransportError?.();
    this.terminate();
  }

}
