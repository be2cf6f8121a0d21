/**
 * A finished exchange, as the core keeps it for its transaction's wait window (issue 11). Once the
 * final response is out (server) or in (client), a core entry needs of its request only what
 * identifies it — method, Request-URI, Via, From, To, Call-ID, CSeq: ACK matching (§17.2.3), the
 * leak summaries, a late 408/503 built from it. The body (SDP) and the other headers go, and the
 * values kept are copied out of the request's header text (ownString).
 */
import { SipHeaders, type HeaderField, type SipRequest } from '../../sip/message';
import { ownString } from '../transaction/util';

const KEPT = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const EMPTY = Buffer.alloc(0);

export function requestSkeleton(req: SipRequest): SipRequest {
  const fields: HeaderField[] = [];
  for (const name of KEPT) for (const v of req.headers.getAll(name)) fields.push({ name, value: ownString(v) });
  // slice(): an exact-size copy — a pushed-to array keeps room for 17 (issue 11: tens of thousands live).
  return { kind: 'request', method: req.method, uri: ownString(req.uri), version: req.version, headers: new SipHeaders(fields.slice()), body: EMPTY };
}
