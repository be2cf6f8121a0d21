/** The 100 Trying a server transaction sends by itself (RFC 3261 §8.2.6.1: no To tag). */
import { SipHeaders, type SipRequest, type SipResponse } from '../../sip/message';

export function buildTrying(req: SipRequest): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getAll('via')) h.append('Via', v);
  for (const name of ['From', 'To', 'Call-ID', 'CSeq']) {
    const v = req.headers.get(name);
    if (v !== undefined) h.append(name, v);
  }
  return { kind: 'response', status: 100, reason: 'Trying', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}
