/**
 * A finished exchange, as the core keeps it for its transaction's wait window (issue 11). Once the
 * final response is out (server) or in (client), a core entry needs of its request only what
 * identifies it — method, Request-URI, Via, From, To, Call-ID, CSeq: ACK matching (§17.2.3), the
 * leak summaries, a late 408/503 built from it. The body (SDP) and the other headers go.
 */
import { SipHeaders, type SipRequest } from '../../sip/message';

const KEPT = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const EMPTY = Buffer.alloc(0);

export function requestSkeleton(req: SipRequest): SipRequest {
  const h = new SipHeaders();
  for (const name of KEPT) for (const v of req.headers.getAll(name)) h.append(name, v);
  return { kind: 'request', method: req.method, uri: req.uri, version: req.version, headers: h, body: EMPTY };
}
