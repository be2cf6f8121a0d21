/** Turning a SIP URI into a transport target (RFC 3263 reduced to A/AAAA lookups and defaults). */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Target, TransportProtocol } from '../../sip/message';
import { parseNameAddr, parseSipUri } from '../../sip/headers';
import type { Dialog } from '../dialog/dialog';

export interface UriTarget {
  protocol: TransportProtocol;
  host: string;
  port: number;
}

/** Protocol/host/port a URI designates, or undefined for a URI we cannot send to. */
export function uriTarget(uri: string): UriTarget | undefined {
  const u = parseSipUri(uri.replace(/^<|>$/g, ''));
  if (!u || (u.scheme !== 'sip' && u.scheme !== 'sips')) return undefined;
  const t = (u.params.get('transport') ?? 'udp').toLowerCase();
  if (t !== 'udp' && t !== 'tcp') return undefined;
  return { protocol: t, host: u.host.replace(/^\[|\]$/g, ''), port: u.port ?? 5060 };
}

export async function resolveTarget(t: UriTarget): Promise<Target> {
  if (net.isIP(t.host)) return { protocol: t.protocol, address: t.host, port: t.port };
  const { address } = await dns.lookup(t.host);
  return { protocol: t.protocol, address, port: t.port };
}

/**
 * Where a dialog's requests go (RFC 3261 §12.2.1.1): the first Route of the route set, else the remote
 * target; the dialog's transport unless the URI names one. Undefined when the URI is not routable
 * (a `tel:` Contact, an unsupported transport).
 */
export function dialogUriTarget(d: Pick<Dialog, 'routeSet' | 'remoteTarget' | 'protocol'>): UriTarget | undefined {
  const first = d.routeSet[0];
  const uri = first ? parseNameAddr(first)?.uri ?? d.remoteTarget : d.remoteTarget;
  const ut = uriTarget(uri);
  if (!ut) return undefined;
  if (!/;transport=/i.test(uri)) ut.protocol = d.protocol;
  return ut;
}

/** dialogUriTarget resolved to an address; rejects (never throws synchronously) when it cannot be. */
export async function resolveDialogTarget(d: Pick<Dialog, 'routeSet' | 'remoteTarget' | 'protocol'>): Promise<Target> {
  const ut = dialogUriTarget(d);
  if (!ut) throw new Error(`cannot route to ${d.routeSet[0] ?? d.remoteTarget}`);
  return resolveTarget(ut);
}
