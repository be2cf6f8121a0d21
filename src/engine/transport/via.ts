/**
 * The transport layer's checks and fix-ups on the top Via of a received request: an unusable sent-by
 * port or rport is refused (400), and `received` / `rport` are set to what the edge observed
 * (RFC 3261 §18.2.1, RFC 3581 §4), replacing whatever the sender wrote in those parameters, so that
 * what the application sees is what the edge will use.
 */
import type { SipMessage, Target } from '../../sip/message';
import { formatVia, getTopVia, knownTopVia, type Via } from '../../sip/headers';
import { isValidPort } from './response-target';

export type ViaCheck = { ok: true } | { ok: false; reason: string };

/** A request whose top Via names a port no datagram can be sent to is refused before any transaction. */
export function checkTopVia(msg: SipMessage): ViaCheck {
  const via = getTopVia(msg);
  if (!via) return { ok: false, reason: 'invalid Via header' };
  if (via.port !== undefined && !isValidPort(via.port)) return { ok: false, reason: `Via sent-by port ${via.port} out of range` };
  const rport = via.params.get('rport');
  // RFC 3581: `rport` is empty in a request; a value is tolerated (and overwritten) only if it is a port.
  if (rport !== undefined && rport !== null && rport !== '' && !(/^\d{1,5}$/.test(rport) && isValidPort(Number(rport)))) {
    return { ok: false, reason: 'invalid Via rport' };
  }
  return { ok: true };
}

/** RFC 3261 §18.2.1 `received` and RFC 3581 `rport` on the top Via of a request, from `source`. */
export function fixupVia(headers: SipMessage['headers'], source: Target): void {
  // The parsed top Via is shared (getTopVia): read it, and change a copy of its parameters.
  const via = getTopVia({ headers });
  if (!via) return;
  let params: Via['params'] | undefined;
  const own = (): Via['params'] => (params ??= new Map(via.params));
  const hasRport = via.params.has('rport');
  const host = via.host.replace(/^\[|\]$/g, '');
  const received = via.params.get('received');
  // RFC 3581 §4: with rport, `received` is added even when it equals the sent-by host.
  if (host !== source.address || hasRport) {
    if (received !== source.address) own().set('received', source.address);
  } else if (received !== undefined) {
    own().delete('received'); // the sender's own claim; the sent-by host is where it came from
  }
  if (hasRport && via.params.get('rport') !== String(source.port)) own().set('rport', String(source.port));
  if (!params) return;
  const fixed: Via = { ...via, params };
  headers.removeFirst('via');
  headers.prepend('Via', formatVia(fixed));
  knownTopVia(headers, fixed);
}
