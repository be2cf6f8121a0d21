/** The two header facts the transaction layer needs, without depending on the full header parsers. */
import type { SipRequest } from '../../sip/message';

export function cseqNumber(req: SipRequest): number {
  const m = /^\s*(\d+)/.exec(req.headers.get('cseq') ?? '');
  return m ? Number(m[1]) : 0;
}

/** The top Via's branch, used as a readable transaction id. */
export function topVia(req: SipRequest): string {
  const v = req.headers.first('via') ?? '';
  const m = /;\s*branch=([^;\s,]+)/i.exec(v);
  return m ? m[1]! : v;
}
