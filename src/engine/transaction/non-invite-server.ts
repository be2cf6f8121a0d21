/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *   trying ──1xx──▶ proceeding ──final──▶ completed ──J──▶ terminated
 *     └──final──▶ completed
 */
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { TransactionBase } from './base';
import { timerValues } from './timers';
import type { ServerTransaction, ServerTransactionState, ServerTransactionUser } from './types';
import type { ServerTransactionOptions } from './invite-server';
import { topVia } from './util';

export class NonInviteServerTransaction extends TransactionBase<ServerTransactionState> implements ServerTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Target;
  private readonly user: ServerTransactionUser;
  private last: SipResponse | undefined;

  constructor(o: ServerTransactionOptions) {
    super('trying', o.clock, o.transport, timerValues(o.timers, o.transport.isReliable(o.source)), () => o.user.onTerminated());
    this.request = o.request;
    this.source = o.source;
    this.user = o.user;
    this.id = o.id ?? topVia(o.request);
  }

  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  receiveRequest(_req: SipRequest): void {
    // trying: absorbed (nothing to re-send yet); proceeding/completed: re-send the last response.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.send(this.last, this.source);
  }

  receiveAck(_ack: SipRequest): void {
    // ACK belongs to INVITE transactions only.
  }

  respond(res: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.last = res;
    this.send(res, this.source);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.state = 'completed';
    if (this.t.J === 0) this.terminate();
    else this.startTimer('J', this.t.J, () => this.terminate());
  }

  transportError(): void {
    if (this.state === 'terminated') return;
    this.user.onTransportError?.();
    this.terminate();
  }

}
