/** The two header facts the transaction layer needs, without depending on the full header parsers. */
import type { SipRequest } from '../../sip/message';

export function cseqNumber(req: SipRequest): number {
  const m = /^\s*(\d+)/.exec(req.headers.get('cseq') ?? '');
  return m ? Number(m[1]) : 0;
}

/** The top Via's branch, used as a readable transaction id (a string of its own: see ownString). */
export function topVia(req: SipRequest): string {
  const v = req.headers.first('via') ?? '';
  const m = /;\s*branch=([^;\s,]+)/i.exec(v);
  return ownString(m ? m[1]! : v);
}

/**
 * A string of its own. Parsed header values are slices of the message's whole header text, and a
 * V8 slice keeps its parent alive: a transaction or a finished exchange keeping even a short value
 * as it is would pin the full text of its request for its 32 s window (issue 11).
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8'); // V8 copies shorter slices anyway
}
