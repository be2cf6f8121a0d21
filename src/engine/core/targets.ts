/** Turning a SIP URI into a transport target (RFC 3263 reduced to A/AAAA lookups and defaults). */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Target, TransportProtocol } from '../../sip/message';
import { parseSipUri } from '../../sip/headers';

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
