/**
 * Where a response goes (RFC 3261 §18.2.1 / §18.2.2, RFC 3581). On receipt the top Via is stamped:
 * `received` when the sent-by host differs from the packet's source, `rport=<source port>` when the
 * client asked for it. Then: TCP → back on the connection the request came on (else a new connection
 * to the sent-by port); UDP → the source address, and the source port if rport was asked for, else
 * the sent-by port (5060 by default).
 */
import { formatVia, parseVia } from '../sip/headers';
import type { SipRequest, Target } from '../sip/message';
import type { SendTarget } from './transport';

export interface ReplyRoute {
  /** The stamped top Via, to be copied into every response. */
  topVia: string;
  target: SendTarget;
}

export function routeReply(topVia: string, source: Target): ReplyRoute | undefined {
  const via = parseVia(topVia);
  if (!via) return undefined;
  const params = new Map(via.params);
  const sentByHost = via.host.replace(/^\[|\]$/g, '');
  if (sentByHost !== source.address) params.set('received', source.address);
  const wantsRport = params.has('rport');
  if (wantsRport) params.set('rport', String(source.port));
  const sentByPort = via.port ?? 5060;
  const stamped = formatVia({ ...via, params });
  if (source.protocol === 'tcp') {
    return { topVia: stamped, target: { protocol: 'tcp', address: source.address, port: source.port, fallbackPort: sentByPort } };
  }
  return { topVia: stamped, target: { protocol: 'udp', address: source.address, port: wantsRport ? source.port : sentByPort } };
}

/** Replace the request's top Via with the stamped one, so every response built from it carries it. */
export function stampRequest(req: SipRequest, route: ReplyRoute): void {
  const vias = req.headers.getAll('via');
  vias[0] = route.topVia;
  req.headers.set('Via', vias.join(', '));
}
