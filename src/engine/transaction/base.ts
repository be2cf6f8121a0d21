/** Shared plumbing for the four state machines: owned timers cancelled on every state change. */
import type { ClientFailure, ClientTransactionUser, Clock, TimerHandle, TransactionTransport } from './types';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import type { TimerValues } from './timers';

export abstract class TransactionBase<S extends string> {
  private readonly owned = new Map<string, TimerHandle>();
  private terminatedReported = false;

  protected constructor(
    public state: S | 'terminated',
    protected readonly clock: Clock,
    protected readonly transport: TransactionTransport,
    protected readonly t: TimerValues,
    private readonly onTerminated: () => void,
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
    this.onTerminated();
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
}
