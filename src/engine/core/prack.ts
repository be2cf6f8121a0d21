/**
 * RFC 3262 reliable provisional responses, UAS side, per INVITE server transaction — as sofia-sip
 * does them under drachtio-server:
 *
 * - an app 1xx (101–199) with `Require: 100rel` is sent reliably when the INVITE offered 100rel
 *   (Supported or Require); otherwise the app is told "Remote endpoint does not support 100rel";
 * - RSeq starts at a random value (1 … 2^31−1) and increases by one per reliable response (§3);
 * - the response is retransmitted at T1, 2·T1, 4·T1 … until its PRACK arrives; after 64·T1 without one
 *   the INVITE is rejected with 503 "Reliable Response Time-Out" (§3 says 5xx);
 * - only one reliable provisional is outstanding at a time: later ones wait for the PRACK (§3);
 * - a 2xx is held while an un-PRACKed reliable provisional carrying a body is outstanding (its SDP
 *   must be acknowledged before the final answer), and released by the PRACK.
 */
import type { SipRequest, SipResponse } from '../../sip/message';
import type { Clock, TimerHandle } from '../transaction/types';
import { hasOptionTag } from './session-timer';

export interface ReliableSink {
  /** Hand a response to the transaction (first transmission and retransmissions alike). */
  send(res: SipResponse): void;
  /** 64·T1 passed without a PRACK: the INVITE must be failed (heldFinal: a 2xx was waiting and is dropped). */
  onTimeout(heldFinal: boolean): void;
}

interface Outstanding {
  res: SipResponse;
  rseq: number;
  /** Retransmission (T1 doubling) and the 64·T1 give-up. */
  retransmit: TimerHandle | undefined;
  deadline: TimerHandle | undefined;
}

const cancel = (o: Outstanding | undefined): void => {
  o?.retransmit?.cancel();
  o?.deadline?.cancel();
};

export function offers100rel(invite: SipRequest): boolean {
  return hasOptionTag(invite.headers, 'supported', '100rel') || hasOptionTag(invite.headers, 'require', '100rel');
}

export function wantsReliable(res: SipResponse): boolean {
  return res.status > 100 && res.status < 200 && hasOptionTag(res.headers, 'require', '100rel');
}

/** `RAck: 776656 1 INVITE` → its parts (RFC 3262 §7.2). */
export function parseRAck(v: string | undefined): { rseq: number; cseq: number; method: string } | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(v ?? '');
  return m ? { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3]!.toUpperCase() } : undefined;
}

export class ReliableProvisionals {
  private nextRSeq = 1 + Math.floor(Math.random() * 0x7ffffffe);
  private outstanding: Outstanding | undefined;
  private readonly queue: SipResponse[] = [];
  private heldFinal: SipResponse | undefined;
  private done = false;

  constructor(private readonly clock: Clock, private readonly t1: number, private readonly inviteCSeq: number, private readonly sink: ReliableSink) {}

  get pending(): boolean {
    return this.outstanding !== undefined;
  }

  /** Send (or queue) a reliable provisional: RSeq and Require: 100rel stamped here. */
  provisional(res: SipResponse): void {
    if (this.done) return;
    res.headers.remove('rseq');
    if (!hasOptionTag(res.headers, 'require', '100rel')) res.headers.append('Require', '100rel');
    if (this.outstanding) {
      this.queue.push(res);
      return;
    }
    this.transmit(res);
  }

  /**
   * A final response from the app. 'hold' when a 2xx must wait for the PRACK of a provisional that
   * carried a body; otherwise the retransmissions stop and the caller sends it now.
   */
  final(res: SipResponse): 'send' | 'hold' {
    if (res.status < 300 && this.outstanding && this.outstanding.res.body.length > 0) {
      this.heldFinal = res;
      return 'hold';
    }
    this.stop();
    return 'send';
  }

  /** A PRACK's RAck: true when it acknowledges the outstanding reliable provisional. */
  prack(rack: { rseq: number; cseq: number; method: string }): boolean {
    const o = this.outstanding;
    if (!o || rack.rseq !== o.rseq || rack.cseq !== this.inviteCSeq || rack.method !== 'INVITE') return false;
    cancel(o);
    this.outstanding = undefined;
    const held = this.heldFinal;
    if (held) {
      this.heldFinal = undefined;
      this.stop();
      this.sink.send(held);
      return true;
    }
    const next = this.queue.shift();
    if (next) this.transmit(next);
    return true;
  }

  stop(): void {
    this.done = true;
    cancel(this.outstanding);
    this.outstanding = undefined;
    this.queue.length = 0;
  }

  private transmit(res: SipResponse): void {
    const o: Outstanding = { res, rseq: this.nextRSeq++, retransmit: undefined, deadline: undefined };
    res.headers.append('RSeq', String(o.rseq));
    const arm = (interval: number): void => {
      o.retransmit = this.clock.setTimer(interval, () => {
        if (this.outstanding !== o) return;
        this.sink.send(res);
        arm(interval * 2);
      });
    };
    arm(this.t1);
    o.deadline = this.clock.setTimer(64 * this.t1, () => {
      if (this.outstanding !== o) return;
      const held = this.heldFinal !== undefined;
      this.heldFinal = undefined;
      this.stop();
      this.sink.onTimeout(held);
    });
    this.outstanding = o;
    this.sink.send(res);
  }
}
