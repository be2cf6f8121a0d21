/**
 * One structured CDR line per call (pino): call id, route, every attempt with carrier, status and
 * timings, the final outcome and the duration. Built incrementally by the call, written once.
 */
import type { Logger } from '../observability/logger';
import type { EdgeBlame } from '../health/monitor';
import type { MediaCdr } from './media-port';

export interface AttemptRecord {
  carrier: string;
  uri: string;
  startedAt: number;
  /** ms from INVITE sent to first provisional / final. */
  provisionalMs?: number;
  finalMs?: number;
  status?: number;
  outcome: 'answered' | 'rejected' | 'timeout' | 'transport-error' | 'cancelled' | 'abandoned' | 'internal';
  /** Why, when the outcome alone does not say (e.g. 'carrier-down': given up when health took the carrier down). */
  reason?: string;
  /** The no-provisional timer this attempt ran with (adapted to the carrier's RTT, src/call/no-provisional-timer.ts). */
  noProvisionalMs?: number;
  /**
   * Whose fault the attempt's end was: first src/call/fault.ts (from the outcome and the edge's timer
   * lateness), then health's word (followHealth): only 'carrier' moved its health.
   */
  fault?: 'carrier' | 'local' | 'caller' | 'none';
  /** The attempt went to another site's edge (carriers.yaml peers:). */
  peer?: boolean;
  /**
   * Set when health did not charge the carrier for a failure the call layer saw as the carrier's
   * (src/health/blame.ts), and why: the edge was to blame (fault becomes 'local'), or it was too
   * early to compare with the other carriers (fault stays, nothing charged).
   */
  faultByHealth?: string;
}

/**
 * The CDR says what health decided. Health judges an unanswered INVITE when the attempt ends
 * (synchronously, in this process, before the CDR is written): when it finds the edge to blame
 * (stalled, or every carrier asked meanwhile was slow too) it does not charge the carrier, and
 * neither may the CDR. (In a cluster the site leader judges the same observation again with its own
 * witnesses; the CDR keeps this process's decision.)
 */
export function followHealth(rec: AttemptRecord, judged: EdgeBlame | undefined): void {
  if (!judged || rec.fault !== 'carrier') return;
  if (judged.blame === 'edge') rec.fault = 'local';
  rec.faultByHealth = judged.blame === 'edge' ? judged.why : `not charged, too early to compare: ${judged.why}`;
}

export interface CdrRecord {
  callId: string;
  route: string;
  source: string;
  /** Handed over by this peer site: it was not sent to a peer again. */
  fromPeer?: string;
  to: string;
  startedAt: number;
  attempts: AttemptRecord[];
  outcome: 'answered' | 'failed' | 'cancelled' | 'rejected-at-admission';
  finalStatus?: number;
  answeredAt?: number;
  endedAt?: number;
  endedBy?: 'caller' | 'carrier' | 'system';
  durationMs?: number;
  setupMs?: number;
  /** Media anchoring mode and per-direction RTP statistics (loss, jitter, media duration). */
  media?: MediaCdr;
}

export function writeCdr(logger: Logger, cdr: CdrRecord): void {
  logger.info({ cdr }, 'cdr');
}
