/**
 * One call as the simulated carrier sees it, and the table that indexes calls by their INVITE
 * transaction (branch + sent-by) and by their dialog (Call-ID + remote tag + local tag).
 *
 * States: delaying (extraDelayMs before the first response) → proceeding (100/180 sent) →
 * accepted (2xx sent, awaiting ACK) → confirmed (ACKed); or → completed (non-2xx sent, awaiting ACK).
 * `silent` calls only exist so INVITE retransmissions are recognised; they never get a response.
 */
import type { SipRequest } from '../sip/message';
import type { Behaviour } from './behaviour';
import type { MediaEndpoint } from './media';
import type { Retransmission, TimerHandle } from './timers';
import type { SendTarget } from './transport';

export type CallState = 'silent' | 'delaying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed';

export interface ReInviteTxn {
  key: string;
  seq: number;
  response: Buffer;
  tx: Retransmission;
  acked: boolean;
}

export interface Call {
  readonly callId: string;
  readonly remoteTag: string;
  readonly localTag: string;
  readonly dialogKey: string;
  /** INVITE server transaction key (branch + sent-by). */
  readonly inviteKey: string;
  readonly inviteSeq: number;
  /** The initial INVITE, top Via stamped (responses are built from it). */
  readonly invite: SipRequest;
  readonly protocol: 'udp' | 'tcp';
  /** Where responses to the INVITE go. */
  readonly reply: SendTarget;
  /** Request-URI and destination of carrier-sent in-dialog requests (BYE). */
  readonly remoteUri: string;
  readonly remoteTarget: SendTarget;
  /** Behaviour captured when the INVITE arrived: a later PATCH does not change calls in progress. */
  readonly behaviour: Behaviour;
  readonly media: MediaEndpoint;
  readonly sdpSessionId: number;
  sdpVersion: number;
  state: CallState;
  /** Last response sent to the INVITE: resent when the INVITE is retransmitted. */
  lastResponse?: Buffer;
  /** 2xx / non-2xx retransmission until the ACK (or Timer H for non-2xx). */
  finalTx?: Retransmission;
  /** The next scheduled step: end of extraDelayMs, ringMs or holdMs. */
  step?: TimerHandle;
  /** maxCallMs (or 64·T1 for silent calls): state is never kept longer. */
  lifetime?: TimerHandle;
  reinvite?: ReInviteTxn;
  /** Carrier-sent BYE client transaction, by its branch. */
  bye?: { branch: string; tx: Retransmission };
  localSeq: number;
}

export const dialogKey = (callId: string, remoteTag: string, localTag: string): string => `${callId}|${remoteTag}|${localTag}`;

export class CallTable {
  private readonly byInviteKey = new Map<string, Call>();
  private readonly byDialogKey = new Map<string, Call>();

  add(call: Call): void {
    this.byInviteKey.set(call.inviteKey, call);
    this.byDialogKey.set(call.dialogKey, call);
  }

  remove(call: Call): void {
    if (this.byInviteKey.get(call.inviteKey) === call) this.byInviteKey.delete(call.inviteKey);
    if (this.byDialogKey.get(call.dialogKey) === call) this.byDialogKey.delete(call.dialogKey);
  }

  byInvite(key: string): Call | undefined {
    return this.byInviteKey.get(key);
  }

  byDialog(key: string): Call | undefined {
    return this.byDialogKey.get(key);
  }

  get size(): number {
    return this.byInviteKey.size;
  }

  /** Calls ringing or up (silent ones and those only waiting for the ACK of a rejection excluded). */
  activeCount(): number {
    let n = 0;
    for (const c of this.byInviteKey.values()) if (c.state !== 'silent' && c.state !== 'completed') n++;
    return n;
  }

  all(): IterableIterator<Call> {
    return this.byInviteKey.values();
  }
}
