/**
 * Dialog state (RFC 3261 §12) and the store that finds a dialog for an in-dialog request.
 *
 * Dialog ids follow drachtio-server: `<Call-ID>;from-tag=<tag of the party that sent the INVITE>`.
 */
import type { SipRequest, Target } from '../../sip/message';
import type { WireClient } from '../wire/server';
import type { TimerHandle } from '../transaction/types';

/** An RFC 4028 session timer running on a dialog. */
export interface SessionTimer {
  /** Negotiated session interval, seconds. */
  intervalSec: number;
  /** true: we send the refreshes; false: the peer does and we tear down when it stops. */
  weRefresh: boolean;
  /** Min-SE to put in our refreshes. */
  minSE: number;
  timer: TimerHandle;
}

export type DialogRole = 'uac' | 'uas';

export interface Dialog {
  readonly id: string;
  readonly role: DialogRole;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /** From/To header values (name-addr, without tag) of each side. */
  readonly localUri: string;
  readonly remoteUri: string;
  localSeq: number;
  remoteSeq: number | undefined;
  /** Top Via branch of the remote request that set remoteSeq (a late copy of it is absorbed, not refused). */
  lastRemoteBranch?: string;
  remoteTarget: string;
  routeSet: string[];
  readonly localContact: string;
  /** Protocol the dialog's requests use. */
  protocol: Target['protocol'];
  client: WireClient | undefined;
  state: 'early' | 'confirmed';
  /** CSeq number of the last INVITE we sent in this dialog (ACK reuses it). */
  lastInviteSeq: number;
  /** Final status of the last INVITE we sent (app's ACK for a non-2xx gets NOK). */
  lastInviteStatus: number;
  /** Last ACK we sent for a 2xx, re-sent when the 2xx is retransmitted. */
  lastAck: { ack: SipRequest; target: Target } | undefined;
  /** An INVITE we received has no final response yet (a second one gets 500, RFC 3261 §14.2). */
  inviteInProgressIn: boolean;
  /** An INVITE we sent in this dialog has no final response yet (theirs crossing it gets 491). */
  inviteInProgressOut: boolean;
  /** Wire transaction id of the INVITE server transaction waiting for the ACK of our 2xx. */
  awaitingAckTxn: string | undefined;
  /** UAS early dialog: wire transaction id of the initial INVITE until its final response (PRACK matching). */
  initialInviteTxn: string | undefined;
  /** UAC: RSeq of the last reliable provisional accepted (RFC 3262 §4 ordering). */
  lastRSeq: number | undefined;
  /** Last session description we sent (offer or answer): what a session refresh re-offers. */
  localSdp: { body: Buffer; contentType: string } | undefined;
  /** RFC 4028 session timer, when one was negotiated. */
  sessionTimer: SessionTimer | undefined;
  /**
   * UAC: the 2xx that confirmed it is one drachtio-srf cannot hold as a Dialog (a 2xx other than 200,
   * or no usable Contact). srf ACKs it and fails the request, so nobody would BYE it: the engine does,
   * right after the app's ACK. Holds the Reason for that BYE.
   */
  byeAfterAck: string | undefined;
}

/** What a new dialog must be told; everything else starts empty. */
export type DialogInit = Pick<Dialog, 'id' | 'role' | 'callId' | 'localTag' | 'remoteTag' | 'localUri' | 'remoteUri' | 'localSeq'
  | 'remoteSeq' | 'remoteTarget' | 'routeSet' | 'localContact' | 'protocol' | 'client' | 'state'> & Partial<Dialog>;

export function createDialog(init: DialogInit): Dialog {
  return {
    lastInviteSeq: 0, lastInviteStatus: 0, lastAck: undefined, inviteInProgressIn: false, inviteInProgressOut: false,
    awaitingAckTxn: undefined, initialInviteTxn: undefined, lastRSeq: undefined, localSdp: undefined, sessionTimer: undefined,
    byeAfterAck: undefined,
    ...init,
  };
}

export function dialogId(callId: string, initiatorFromTag: string): string {
  return `${callId};from-tag=${initiatorFromTag}`;
}

export class DialogStore {
  private readonly byId = new Map<string, Dialog>();
  private readonly byTags = new Map<string, Dialog>();
  private readonly byCallId = new Map<string, Dialog>();

  add(d: Dialog): void {
    this.byId.set(d.id, d);
    this.byTags.set(tagKey(d.callId, d.localTag, d.remoteTag), d);
    this.byCallId.set(d.callId, d);
  }

  /** The remote tag becomes known (or changes, for a fork) after the dialog was added. */
  setRemoteTag(d: Dialog, remoteTag: string): void {
    this.byTags.delete(tagKey(d.callId, d.localTag, d.remoteTag));
    d.remoteTag = remoteTag;
    this.byTags.set(tagKey(d.callId, d.localTag, d.remoteTag), d);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  /** For a request received: our tag is in To, theirs in From. */
  findForRequest(callId: string, toTag: string, fromTag: string): Dialog | undefined {
    return this.byTags.get(tagKey(callId, toTag, fromTag));
  }

  /** For a response received: our tag is in From, theirs in To. */
  findForResponse(callId: string, fromTag: string, toTag: string): Dialog | undefined {
    return this.byTags.get(tagKey(callId, fromTag, toTag));
  }

  findByCallId(callId: string): Dialog | undefined {
    return this.byCallId.get(callId);
  }

  /** Forget the dialog; its session timer (if any) stops with it. */
  remove(d: Dialog): void {
    if (this.byId.get(d.id) !== d) return;
    d.sessionTimer?.timer.cancel();
    d.sessionTimer = undefined;
    this.byId.delete(d.id);
    this.byTags.delete(tagKey(d.callId, d.localTag, d.remoteTag));
    if (this.byCallId.get(d.callId) === d) this.byCallId.delete(d.callId);
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Dialog> {
    return this.byId.values();
  }
}

const tagKey = (callId: string, localTag: string, remoteTag: string): string => `${callId}\n${localTag}\n${remoteTag}`;
