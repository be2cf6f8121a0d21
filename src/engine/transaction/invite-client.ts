/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, with RFC 6026's Accepted state).
 *
 *   calling ──1xx──▶ proceeding ──2xx──▶ accepted ──M──▶ terminated
 *      │  └──2xx──▶ accepted                 ▲
 *      │  └──300-699──▶ completed ──D──▶ terminated
 *      └──B / transport error──▶ terminated (onFailure)
 *
 * Two TU timers live here because the transaction owns the INVITE's clock: timer C (RFC 3261 §16.6,
 * restarted by each provisional; on expiry the TU CANCELs) and the §9.1 rule that an INVITE whose
 * CANCEL got no final response within 64·T1 is given up (onFailure('timeout')).
 *
 * The INVITE is kept only until the final response (timer A re-sends it); from then on only the
 * ACK for a non-2xx is kept, as bytes when the transport offers them (onRetired tells the user).
 */
import { SipHeaders, type SipRequest, type SipResponse, type Target } from '../../sip/message';
import { TransactionBase, type Kept } from './base';
import { timerValues } from './timers';
import type { ClientTransaction, ClientTransactionState, ClientTransactionUser, Clock, TimerConfig, TransactionTransport } from './types';
import { cseqNumber, topVia } from './util';

export interface ClientTransactionOptions {
  request: SipRequest;
  target: Target;
  transport: TransactionTransport;
  clock: Clock;
  timers: TimerConfig;
  user: ClientTransactionUser;
  /** Transaction id for logs; defaults to the branch. */
  id?: string;
}

export class InviteClientTransaction extends TransactionBase<ClientTransactionState> implements ClientTransaction {
  readonly id: string;
  readonly target: Target;
  private readonly user: ClientTransactionUser;
  private readonly reliable: boolean;
  /** Until the final response: timer A re-sends it, and the non-2xx ACK is built from it. */
  private request: SipRequest | undefined;
  private ack: Kept | undefined;

  constructor(o: ClientTransactionOptions) {
    const reliable = o.transport.isReliable(o.target);
    super('calling', o.clock, o.transport, timerValues(o.timers, reliable), o.user);
    this.reliable = reliable;
    this.request = o.request;
    this.target = o.target;
    this.user = o.user;
    this.id = o.id ?? topVia(o.request);
    this.send(o.request, this.target);
    if (!this.reliable) this.armA(this.t.A);
    this.startTimer('B', this.t.B, () => this.fail(this.user, 'timeout'));
  }

  receiveResponse(res: SipResponse): void {
    switch (this.state) {
      case 'calling': return this.onResponseCalling(res);
      case 'proceeding': return this.onResponseProceeding(res);
      case 'accepted': return this.onResponseAccepted(res);
      case 'completed': return this.onResponseCompleted(res);
      default: return;
    }
  }

  transportError(): void {
    if (this.state === 'calling' || this.state === 'proceeding') this.fail(this.user, 'transport-error');
  }

  cancelSent(): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    if (this.hasTimer('cancelWait')) return;
    this.startTimer('cancelWait', this.t.cancelWait, () => this.fail(this.user, 'timeout'));
  }

  private onResponseCalling(res: SipResponse): void {
    this.stopTimer('A');
    this.stopTimer('B');
    this.onResponseProceeding(res);
  }

  private onResponseProceeding(res: SipResponse): void {
    if (res.status < 200) {
      this.state = 'proceeding';
      this.stopTimer('A');
      this.stopTimer('B');
      this.startTimer('C', this.t.C, () => this.user.onTimerC?.());
      this.user.onResponse(res);
    } else if (res.status < 300) {
      this.enterAccepted(res);
    } else {
      this.enterCompleted(res);
    }
  }

  /** RFC 6026: retransmitted 2xx (and 2xx from other forks) go to the TU, which ACKs them. */
  private onResponseAccepted(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) this.user.onResponse(res);
  }

  /** A retransmitted final: re-send the ACK, do not bother the TU again. */
  private onResponseCompleted(res: SipResponse): void {
    if (res.status >= 300 && this.ack) this.resend(this.ack, this.target);
  }

  private enterAccepted(res: SipResponse): void {
    this.state = 'accepted';
    this.stopAllTimers();
    this.request = undefined;
    this.startTimer('M', this.t.M, () => this.terminate());
    this.user.onResponse(res);
    this.user.onRetired?.();
  }

  private enterCompleted(res: SipResponse): void {
    this.state = 'completed';
    this.stopAllTimers();
    if (this.request) {
      const ack = buildNon2xxAck(this.request, res);
      this.send(ack, this.target);
      this.ack = this.keep(ack, this.target);
    }
    this.request = undefined;
    this.user.onResponse(res);
    if (this.t.D === 0) return this.terminate();
    this.startTimer('D', this.t.D, () => this.terminate());
    this.user.onRetired?.();
  }

  /** Timer A: retransmit, doubling the interval (RFC 3261 §17.1.1.2). */
  private armA(interval: number): void {
    this.startTimer('A', interval, () => {
      if (this.state !== 'calling' || !this.request) return;
      this.send(this.request, this.target);
      this.armA(interval * 2);
    });
  }

}

/**
 * The ACK for a non-2xx final (RFC 3261 §17.1.1.3): same Request-URI, Call-ID, From and CSeq number
 * as the INVITE, To from the response (with its tag), the INVITE's top Via only, and its Route set.
 */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const h = new SipHeaders();
  const via = invite.headers.getAll('via')[0];
  if (via) h.append('Via', via);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from') ?? '');
  h.append('To', res.headers.get('to') ?? invite.headers.get('to') ?? '');
  h.append('Call-ID', invite.headers.get('call-id') ?? '');
  h.append('CSeq', `${cseqNumber(invite)} ACK`);
  for (const r of invite.headers.getAll('route')) h.append('Route', r);
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}
