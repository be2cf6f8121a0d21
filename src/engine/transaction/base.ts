/** Shared plumbing for the four state machines: owned timers cancelled on every state change. */
import type { Clock, TimerHandle, TransactionTransport } from './types';
import type { SipRequest, SipResponse, Target } from '../sip/message';
import type { TimerValues } from './timers';

export abstract class TransactionBase<S extends string> {
  private readonly owned = new Map<string, TimerHandle>();
  protected terminatedReported = false;

  protected constructor(
    public state: S,
    protected readonly clock: Clock,
    protected readonly transport: TransactionTransport,
    protected readonly t: TimerValues,
  ) {}

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
