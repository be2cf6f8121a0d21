/** Transaction matching keys (RFC 3261 §17.1.3 client side, §17.2.3 server side). */
import type { SipRequest } from '../../sip/message';
import { getCallId, getCSeq, getFromTag, getToTag, getTopVia, MAGIC_COOKIE } from '../../sip/headers';

export const clientKey = (branch: string, method: string): string => `c|${branch}|${method}`;

/** ACK is matched to its INVITE by the caller passing method INVITE; CANCEL keeps its own key. */
export const serverKey = (branch: string, sentBy: string, method: string): string => `s|${branch}|${sentBy.toLowerCase()}|${method}`;

/** An RFC 3261 branch: the magic cookie and something after it (RFC 4475 §3.2.1: the bare cookie is not). */
export const isRfc3261Branch = (branch: string | undefined): branch is string =>
  branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;

/**
 * The server transaction a request belongs to, as `method` (INVITE for an ACK or for the INVITE a
 * CANCEL targets). With an RFC 3261 branch: branch, sent-by and method. Without one (RFC 2543
 * clients, §17.2.3): Request-URI, From tag, Call-ID, CSeq number, the top Via, and the To tag — except
 * when matching an INVITE, whose ACK carries the To tag of our response and whose CANCEL may too.
 */
export function requestServerKey(req: SipRequest, method: string): string {
  const via = getTopVia(req);
  const sentBy = via ? `${via.host}:${via.port ?? ''}` : '';
  if (isRfc3261Branch(via?.branch)) return serverKey(via.branch, sentBy, method);
  const toTag = method === 'INVITE' ? '' : getToTag(req) ?? '';
  const topVia = via ? `${via.protocol} ${sentBy.toLowerCase()} ${via.branch ?? ''}` : '';
  return ['s2543', req.uri, getFromTag(req) ?? '', getCallId(req) ?? '', getCSeq(req)?.seq ?? '', topVia, toTag, method].join('|');
}
