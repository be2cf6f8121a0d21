/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with RFC 6026's Accepted state).
 *
 *   proceeding ──2xx──▶ accepted (G retransmits 2xx until ACK; H → onAckTimeout; L → terminated;
 *                                 a transport error does not leave Accepted, RFC 6026 §7.1; a
 *                                 retransmitted INVITE gets the 2xx again until the ACK, then is absorbed)
 *       └──300-699──▶ completed (G retransmits; H → onAckTimeout, terminated) ──ACK──▶ confirmed ──I──▶ terminated
 *
 * The request is needed only to start (the 100 Trying, the id); from the final on, only the final's
 * bytes are kept for G and for retransmitted INVITEs (onRetired tells the user).
 */
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { buildTrying } from './trying';
import { TransactionBase, type Kept } from './base';
import { timerValues } from './timers';
import type { Clock, ServerTransaction, ServerTransactionState, ServerTransactionUser, TimerConfig, TransactionTransport } from './types';
import { topVia } from './util';

export interface ServerTransactionOptions {
  request: SipRequest;
  /** Where responses are sent (the §18.2.2 response target). */
  source: Target;
  transport: TransactionTransport;
  clock: Clock;
  timers: TimerConfig;
  user: ServerTransactionUser;
  id?: string;
}

export class InviteServerTransaction extends TransactionBase<ServerTransactionState> implements ServerTransaction {
  readonly id: string;
  readonly source: Target;
  private readonly user: ServerTransactionUser;
  private readonly reliable: boolean;
  /** The last response sent: the message while provisional, its bytes once final (when the transport offers them). */
  private last: Kept | undefined;

  /** autoTrying: send 100 Trying at once, before the TU has decided (drachtio-server does). */
  constructor(o: ServerTransactionOptions & { autoTrying: boolean }) {
    const reliable = o.transport.isReliable(o.source);
    super('proceeding', o.clock, o.transport, timerValues(o.timers, reliable), o.user);
    this.reliable = reliable;
    this.source = o.source;
    this.user = o.user;
    this.id = o.id ?? topVia(o.request);
    if (o.autoTrying) this.respond(buildTrying(o.request));
  }

  /** A retransmitted INVITE: the last response again — but in Accepted only until the ACK came (then absorbed). */
  receiveRequest(_req: SipRequest): void {
    switch (this.state) {
      case 'proceeding':
      case 'accepted':
      case 'completed':
        if (this.last) this.resend(this.last, this.source);
        return;
      default:
        return; // confirmed / terminated: absorbed
    }
  }

  receiveAck(ack: SipRequest): void {
    switch (this.state) {
      case 'accepted': return this.onAckAccepted(ack);
      case 'completed': return this.onAckCompleted(ack);
      default: return;
    }
  }

  respond(res: SipResponse): void {
    if (this.state !== 'proceeding') return;
    this.send(res, this.source);
    if (res.status < 200) {
      this.last = res;
      return;
    }
    this.last = this.keep(res, this.source);
    if (res.status < 300) this.enterAccepted();
    else this.enterCompleted();
    this.user.onRetired?.();
  }

  /**
   * RFC 6026 §7.1: in Accepted a transport error must not end the transaction — it keeps absorbing
   * retransmitted INVITEs until timer L, so a retransmission is never taken for a new call.
   */
  transportError(): void {
    if (this.state === 'terminated') return;
    this.user.onTransportError?.();
    if (this.state === 'accepted') return;
    this.terminate();
  }

  private enterAccepted(): void {
    this.state = 'accepted';
    if (!this.reliable) this.armG(this.t.G);
    this.startTimer('H', this.t.H, () => {
      this.stopTimer('G');
      this.user.onAckTimeout?.();
    });
    this.startTimer('L', this.t.L, () => this.terminate());
  }

  private enterCompleted(): void {
    this.state = 'completed';
    if (!this.reliable) this.armG(this.t.G);
    this.startTimer('H', this.t.H, () => {
      this.user.onAckTimeout?.();
      this.terminate();
    });
  }

  private onAckAccepted(ack: SipRequest): void {
    if (!this.hasTimer('H')) return; // a retransmitted ACK: already handed over
    this.stopTimer('G');
    this.stopTimer('H');
    // The 2xx arrived: a retransmitted INVITE from now on is absorbed (RFC 6026 §7.1), so its bytes
    // need not wait out timer L (32 s) — at 600 calls/s, ~600 bytes for each of ~19,000 transactions.
    this.last = undefined;
    this.user.onAck?.(ack);
  }

  private onAckCompleted(ack: SipRequest): void {
    this.state = 'confirmed';
    this.stopTimer('G');
    this.stopTimer('H');
    this.user.onAck?.(ack);
    if (this.t.I === 0) this.terminate();
    else this.startTimer('I', this.t.I, () => this.terminate());
  }

  /** Timer G: retransmit the final response, doubling up to T2 (§17.2.1). */
  private armG(interval: number): void {
    this.startTimer('G', interval, () => {
      if (this.last) this.resend(this.last, this.source);
      this.armG(Math.min(interval * 2, this.t.T2));
    });
  }

}
