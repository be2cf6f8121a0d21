/**
 * ng request dictionaries for one call, built by pure functions (unit-tested without a daemon).
 *
 * Tags: rtpengine keys a call by Call-ID and the two dialog tags. The caller's From tag is known at
 * open(); the carrier's To tag is not given to the media layer, so each attempt gets a synthetic one,
 * `<nonce>.<attempt>`, used consistently for that attempt's answer, re-offers and delete. Each
 * attempt also gets its own `via-branch`, so rtpengine opens a separate branch with fresh ports for
 * every carrier tried (a failed carrier's stray RTP never lands on the next carrier's port), and the
 * previous unanswered branch can be deleted alone (`delete` with its via-branch).
 */
import type { MediaLeg } from '../../call/media-port';
import type { NgDict } from './ng-client';

export interface CallIds {
  callId: string;
  callerTag: string;
}

export interface Attempt {
  /** 1-based attempt number within the call. */
  n: number;
  toTag: string;
  viaBranch: string;
}

export function attemptIds(nonce: string, n: number): Attempt {
  return { n, toTag: `${nonce}.${n}`, viaBranch: `z9hG4bK-tw-${nonce}-${n}` };
}

/**
 * What every SDP-carrying request asks for: rtpengine's own address in o= and c= (it anchors the
 * media, symmetric RTP by default), ICE stripped (carriers and IVRs here are plain RTP; a stale ICE
 * candidate would let media bypass the anchor), no SDES/DTLS offered on the carrier side, no
 * recording, and SDP addresses trusted (there is no `received from` to prefer: signalling does not
 * pass through rtpengine's host).
 */
export const SDP_FLAGS: Readonly<NgDict> = Object.freeze({
  replace: ['origin', 'session-connection'],
  ICE: 'remove',
  SDES: ['off'],
  DTLS: 'off',
  'record call': 'no',
  flags: ['trust-address'],
});

/** The initial offer of attempt `a` (caller → carrier). */
export function initialOffer(ids: CallIds, a: Attempt, sdp: string): NgDict {
  return { ...SDP_FLAGS, 'call-id': ids.callId, 'from-tag': ids.callerTag, 'via-branch': a.viaBranch, sdp };
}

/** The carrier's answer of attempt `a`. */
export function initialAnswer(ids: CallIds, a: Attempt, sdp: string): NgDict {
  return { ...SDP_FLAGS, 'call-id': ids.callId, 'from-tag': ids.callerTag, 'to-tag': a.toTag, 'via-branch': a.viaBranch, sdp };
}

/** From/To tags of an in-dialog offer/answer: the re-offering leg's tag is the From tag. */
export function dialogTags(offerer: MediaLeg, ids: CallIds, a: Attempt): { from: string; to: string } {
  return offerer === 'caller' ? { from: ids.callerTag, to: a.toTag } : { from: a.toTag, to: ids.callerTag };
}

/** A re-INVITE / UPDATE offer from `offerer` (re-offer) or the other leg's answer to it (re-answer). */
export function inDialog(ids: CallIds, a: Attempt, offerer: MediaLeg, sdp: string): NgDict {
  const t = dialogTags(offerer, ids, a);
  return { ...SDP_FLAGS, 'call-id': ids.callId, 'from-tag': t.from, 'to-tag': t.to, sdp };
}

/** Drop one unanswered attempt's branch (its ports), leaving the rest of the call. */
export function deleteBranch(ids: CallIds, a: Attempt): NgDict {
  return { 'call-id': ids.callId, 'from-tag': ids.callerTag, 'via-branch': a.viaBranch, 'delete delay': 0 };
}

/** Drop the whole call now, whatever the daemon's --delete-delay. */
export function deleteCall(ids: CallIds): NgDict {
  return { 'call-id': ids.callId, 'from-tag': ids.callerTag, 'delete delay': 0 };
}

export function queryCall(ids: CallIds): NgDict {
  return { 'call-id': ids.callId };
}
