/**
 * Shared plumbing for the four state machines: owned timers cancelled on every state change, and the
 * shrinking of a transaction that has its final response (issue 11): for its wait window it keeps
 * the bytes it may have to re-send, not the parsed messages.
 */
import type { ClientFailure, ClientTransactionUser, Clock, TimerHandle, TransactionTransport } from './types';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import type { TimerValues } from './timers';

/** A message kept for re-sending: the bytes it went out as when the transport offers them, else the message. */
export type Kept = SipRequest | SipResponse | Buffer;

export abstract class TransactionBase<S extends string> {
  private readonly owned = new Map<string, TimerHandle>();
  private terminatedReported = false;

  protected constructor(
    public state: S | 'terminated',
    protected readonly clock: Clock,
    protected readonly transport: TransactionTransport,
    protected readonly t: TimerValues,
    /** Held as the object, not a closure over the constructor's options (which carry the request). */
    private readonly tu: { onTerminated(): void },
  ) {}

  /** Stop all timers and terminate silently (engine shutdown). */
  destroy(): void {
    this.stopAllTimers();
    this.state = 'terminated';
  }

  /** Enter Terminated: every timer stopped, the user told exactly once. */
  protected terminate(): void {
    this.destroy();
    if (this.terminatedReported) return;
    this.terminatedReported = true;
    this.tu.onTerminated();
  }

  /** Client transactions: no final response from the peer (timer B/F or transport error). */
  protected fail(user: ClientTransactionUser, reason: ClientFailure): void {
    this.destroy();
    user.onFailure(reason);
    this.terminate();
  }

  /** Start (or restart) a named timer; names are the RFC letters. */
  protected startTimer(name: string, ms: number, fn: () => void): void {
    this.owned.get(name)?.cancel();
    this.owned.set(name, this.clock.setTimer(ms, () => {
      this.owned.delete(name);
      fn();
    }));
  }

  protected stopTimer(name: string): void {
    this.owned.get(name)?.cancel();
    this.owned.delete(name);
  }

  get armedTimers(): readonly string[] {
    return [...this.owned.keys()];
  }

  protected hasTimer(name: string): boolean {
    return this.owned.has(name);
  }

  protected stopAllTimers(): void {
    for (const h of this.owned.values()) h.cancel();
    this.owned.clear();
  }

  protected send(msg: SipRequest | SipResponse, target: Target): void {
    this.transport.send(msg, target);
  }

  /** What to keep of a message already sent to target, for re-sending it later. */
  protected keep(msg: SipRequest | SipResponse, target: Target): Kept {
    if (!this.transport.sendBytes || this.transport.isReliable(target)) return msg;
    return this.transport.sentBytes?.(msg) ?? msg;
  }

  protected resend(kept: Kept, target: Target): void {
    if (Buffer.isBuffer(kept)) this.transport.sendBytes?.(kept, target);
    else this.send(kept, target);
  }
}
