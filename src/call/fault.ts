/**
 * Whose fault an attempt's end was (issue 9): only a carrier's own failure may move its health.
 *  - carrier: it answered 408 / 5xx, never sent even a 100, or could not be reached;
 *  - local:   trunkwise failed (an exception while placing the attempt, a request the SIP stack
 *             refused) or was itself too slow to tell (src/call/overload.ts);
 *  - caller:  the caller cancelled;
 *  - none:    the carrier did its job — answered, or passed on the callee's own answer (486, 404,
 *             603, a ring with no answer).
 */
import type { AttemptVerdict } from '../health/types';
import { verdictFor } from '../health/verdict';
import type { AttemptOutcome } from './attempt';

export type Fault = 'carrier' | 'local' | 'caller' | 'none';

/** What the edge knows about its own speed while the attempt ran. */
export interface EdgeDelay {
  /** How long the edge was stalled during the attempt: its timers' lateness, or the stall clock's reading. */
  timerLateMs: number;
  /** Above this, the delay is the edge's (event-loop lag), not the carrier's. */
  toleranceMs: number;
}

export function faultOf(o: AttemptOutcome, delay?: EdgeDelay): Fault {
  switch (o.kind) {
    case 'internal':
      return 'local';
    case 'cancelled':
      return 'caller';
    case 'answered':
      return 'none';
    default:
      if (verdictFor(o) !== 'failure') return 'none';
      // "No response in time" measured by a clock that was itself stalled says nothing about the
      // carrier: its answer may have sat in our socket buffer. Overload is local.
      if (o.kind === 'timeout' && delay !== undefined && delay.timerLateMs > delay.toleranceMs) return 'local';
      return 'carrier';
  }
}

/** What carrier health hears: a verdict only for outcomes that say something about the carrier. */
export function healthVerdict(o: AttemptOutcome, fault: Fault): AttemptVerdict {
  if (o.kind === 'internal' || fault === 'local' || fault === 'caller') return 'ignored';
  return verdictFor(o);
}
