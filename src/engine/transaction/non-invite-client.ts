/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *   trying ──1xx──▶ proceeding ──final──▶ completed ──K──▶ terminated
 *     └──final──▶ completed;   trying/proceeding ──F / transport error──▶ terminated (onFailure)
 *
 * The request is kept only until the final response (timer E re-sends it); onRetired tells the user.
 */
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { TransactionBase } from './base';
import { timerValues } from './timers';
import type { ClientTransaction, ClientTransactionState, ClientTransactionUser } from './types';
import type { ClientTransactionOptions } from './invite-client';
import { topVia } from './util';

export class NonInviteClientTransaction extends TransactionBase<ClientTransactionState> implements ClientTransaction {
  readonly id: string;
  readonly target: Target;
  private readonly user: ClientTransactionUser;
  /** Until the final response: timer E re-sends it. */
  private request: SipRequest | undefined;

  constructor(o: ClientTransactionOptions) {
    const reliable = o.transport.isReliable(o.target);
    super('trying', o.clock, o.transport, timerValues(o.timers, reliable), o.user);
    this.request = o.request;
    this.target = o.target;
    this.user = o.user;
    this.id = o.id ?? topVia(o.request);
    this.send(o.request, this.target);
    if (!reliable) this.armE(this.t.E);
    this.startTimer('F', this.t.F, () => this.fail(this.user, 'timeout'));
  }

  receiveResponse(res: SipResponse): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        return this.onResponseActive(res);
      default:
        return; // completed: retransmitted responses are absorbed
    }
  }

  transportError(): void {
    if (this.state === 'trying' || this.state === 'proceeding') this.fail(this.user, 'transport-error');
  }

  cancelSent(): void {
    // Only INVITEs are cancelled.
  }

  private onResponseActive(res: SipResponse): void {
    if (res.status < 200) {
      this.state = 'proceeding';
      this.user.onResponse(res);
      return;
    }
    this.state = 'completed';
    this.stopTimer('E');
    this.stopTimer('F');
    this.request = undefined;
    this.user.onResponse(res);
    if (this.t.K === 0) return this.terminate();
    this.startTimer('K', this.t.K, () => this.terminate());
    this.user.onRetired?.();
  }

  /** Timer E: in trying the interval doubles up to T2; in proceeding it stays at T2 (§17.1.2.2). */
  private armE(interval: number): void {
    this.startTimer('E', interval, () => {
      if ((this.state !== 'trying' && this.state !== 'proceeding') || !this.request) return;
      this.send(this.request, this.target);
      this.armE(this.state === 'proceeding' ? this.t.T2 : Math.min(interval * 2, this.t.T2));
    });
  }

}
