/** drachtio's `<spammers>`: requests whose headers match are rejected with 603 or silently dropped. */
import type { SipRequest } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { generateTag } from '../../sip/headers';
import type { InboundMessage } from '../transport/layer';
import { responseTarget } from '../transport/layer';
import type { CoreContext } from './context';

/** true when the request was a spammer's (and has been answered or dropped). */
export function handledAsSpam(ctx: CoreContext, req: SipRequest, m: InboundMessage): boolean {
  const sp = ctx.behaviour.spammers;
  if (!sp) return false;
  const hit = sp.headers.some((h) => {
    const v = (req.headers.get(h.name) ?? '').toLowerCase();
    return v !== '' && h.values.some((x) => v.includes(x.toLowerCase()));
  });
  if (!hit) return false;
  const action = m.source.protocol === 'udp' ? sp.udpAction : sp.tcpAction;
  ctx.logger.info({ source: m.source, method: req.method }, `spammer ${action === 'reject' ? 'rejected' : 'discarded'}`);
  if (action === 'reject' && req.method !== 'ACK') {
    ctx.transport.send(buildResponse(req, 603, 'Decline', { toTag: generateTag() }), responseTarget(req, m.source));
  }
  return true;
}
