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

interface Armed {
  readonly name: string;
  handle: TimerHandle;
  next: Armed | undefined;
}

export abstract class TransactionBase<S extends string> {
  /**
   * The armed timers, by name, in the order they were armed: a short linked list (a transaction arms
   * only a few at once) — a Map costs ~300 bytes per transaction, and tens of thousands of
   * transactions are live at once under load (issue 11).
   */
  private armed: Armed | undefined;
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
    const handle = this.clock.setTimer(ms, () => {
      this.unlink(name);
      fn();
    });
    let last: Armed | undefined;
    for (let a = this.armed; a; a = a.next) {
      if (a.name === name) {
        a.handle.cancel(); // restarted: it keeps its place, as a Map's re-set key would
        a.handle = handle;
        return;
      }
      last = a;
    }
    const node: Armed = { name, handle, next: undefined };
    if (last) last.next = node;
    else this.armed = node;
  }

  protected stopTimer(name: string): void {
    this.unlink(name)?.handle.cancel();
  }

  get armedTimers(): readonly string[] {
    const names: string[] = [];
    for (let a = this.armed; a; a = a.next) names.push(a.name);
    return names;
  }

  protected hasTimer(name: string): boolean {
    for (let a = this.armed; a; a = a.next) if (a.name === name) return true;
    return false;
  }

  protected stopAllTimers(): void {
    for (let a = this.armed; a; a = a.next) a.handle.cancel();
    this.armed = undefined;
  }

  /** Take a timer out of the armed list (fired or stopped); returns its node. */
  private unlink(name: string): Armed | undefined {
    let prev: Armed | undefined;
    for (let a = this.armed; a; prev = a, a = a.next) {
      if (a.name !== name) continue;
      if (prev) prev.next = a.next;
      else this.armed = a.next;
      return a;
    }
    return undefined;
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
