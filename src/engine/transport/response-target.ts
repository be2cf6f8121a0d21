/**
 * Where a response goes (RFC 3261 §18.2.2 with RFC 3581), decided only from what the edge itself
 * observed: the address and port the request really came from, plus the sent-by port of the top Via.
 * A `received=` or `rport=<value>` written by the sender never steers a response — otherwise any
 * packet could make the edge send traffic at a third party (reflection).
 */
import type { SipMessage, Target } from '../../sip/message';
import { getTopVia } from '../../sip/headers';

/** The SIP default port when a Via has no sent-by port (RFC 3261 §18.2.2, §19.1.2). */
export const DEFAULT_SIP_PORT = 5060;

export function isValidPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

/**
 * Target for a response to a request received from `source`.
 * - stream (TCP): the connection the request came in on (`source`).
 * - UDP with `rport` in the top Via (RFC 3581 §4): the source address and port.
 * - UDP without `rport`: the source address (the `received` the edge adds) and the sent-by port,
 *   5060 when absent; an unusable sent-by port falls back to the source port.
 */
export function responseTarget(msg: SipMessage, source: Target): Target {
  if (source.protocol !== 'udp') return source;
  const via = getTopVia(msg);
  if (!via || via.params.has('rport')) return source;
  const port = via.port ?? DEFAULT_SIP_PORT;
  return { protocol: 'udp', address: source.address, port: isValidPort(port) ? port : source.port };
}

/**
 * RFC 3261 §18.2.2 for reliable transports: when the connection the request came in on is gone, open
 * a new one to the `received` address (the source address the edge recorded) and the sent-by port.
 */
export function streamFallbackTarget(msg: SipMessage, source: Target): Target {
  const via = getTopVia(msg);
  const port = via?.port ?? DEFAULT_SIP_PORT;
  return { protocol: source.protocol, address: source.address, port: isValidPort(port) ? port : source.port };
}
