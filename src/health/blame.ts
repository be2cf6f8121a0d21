/**
 * Whose slowness is it (issue 9)? A carrier's silence, its late first response or its "INVITE with
 * no response" may be the carrier's — or the edge's own: after an event-loop stall, or while it
 * works through a backlog, every carrier's answers wait in our socket and look late at once.
 * Pure: the monitor gathers the facts, this decides.
 *
 *  1. The edge's stall clock saw it stalled (beyond tolerance) since the request left: the edge's.
 *  2. Another in-service carrier answered on time a request sent at or after this one: the edge was
 *     sending and reading promptly meanwhile, so this carrier is slow — its own. (One socket, read
 *     in order: an answer to a later request cannot be read before one that arrived earlier.)
 *  3. Other carriers were asked meanwhile and none answered on time: every carrier slow at once —
 *     the edge's (the local-fault alarm, not a carrier, takes it).
 *  4. Other carriers were asked meanwhile, but none of those answers is due yet (lateAfterMs has
 *     not passed since): too early to tell — undecided. A check that runs again (the silence check)
 *     waits for its next tick, at most lateAfterMs more; a one-off judgement (a late answer, an
 *     attempt that timed out) charges nobody. Without this, a request judged before any witness was
 *     due fell through to 5 while every carrier was equally late.
 *  5. Nobody else to compare with (one carrier, or the others idle): the carrier's, as long as the
 *     edge was not stalled (1). With one carrier there is no second witness; the edge's own clock is
 *     the only one, and a carrier that is never judged would stay "active" while dead.
 */

export type Blame = 'carrier' | 'edge' | 'undecided';

/** A stall of the edge up to this long is no excuse (as the call layer's LAG_TOLERANCE_MS). */
export const STALL_TOLERANCE_MS = 200;

/** One other in-service carrier, as seen when judging. */
export interface PeerLook {
  readonly id: string;
  /** It answered on time (within lateAfterMs) a request sent at or after the judged one. */
  readonly answeredOnTimeSince: boolean;
  /** It was sent a request at or after the judged one that has had lateAfterMs to be answered. */
  readonly askedSince: boolean;
  /** It was sent a request at or after the judged one whose answer is not due yet (younger than lateAfterMs). */
  readonly awaitingSince: boolean;
}

export interface SlownessLook {
  /** Milliseconds the edge itself was stalled since the judged request left (its stall clock). */
  readonly edgeStalledMs: number;
  /** Above this, a stall is the edge's (event-loop lag), not the carrier's. */
  readonly toleranceMs: number;
  readonly peers: readonly PeerLook[];
}

export interface BlameVerdict {
  readonly blame: Blame;
  readonly why: string;
}

export function blameSlowness(look: SlownessLook): BlameVerdict {
  if (look.edgeStalledMs > look.toleranceMs) return { blame: 'edge', why: `the edge itself was stalled ${look.edgeStalledMs} ms meanwhile` };
  const prompt = look.peers.find((p) => p.answeredOnTimeSince);
  if (prompt) return { blame: 'carrier', why: `${prompt.id} answered a later request on time` };
  const asked = look.peers.filter((p) => p.askedSince);
  if (asked.length > 0) return { blame: 'edge', why: `every carrier asked meanwhile was slow too (${asked.map((p) => p.id).join(', ')})` };
  const awaiting = look.peers.filter((p) => p.awaitingSince);
  if (awaiting.length > 0) return { blame: 'undecided', why: `the answers of ${awaiting.map((p) => p.id).join(', ')} to later requests are not due yet` };
  return { blame: 'carrier', why: 'no other carrier to compare with, and the edge was not stalled' };
}
