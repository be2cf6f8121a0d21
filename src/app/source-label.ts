/**
 * The metric label for where an INVITE came from: the allowlist entry it matched (as configured, so
 * the label set is bounded by the config) or "foreign". Never the address itself: a label taken
 * from unauthenticated input would let anyone create series at will (issue 9).
 */
import { cidrContains, parseCidr, parseIp, type Cidr } from '../routing';

export function sourceLabeller(allow: readonly string[]): (address: string) => string {
  const entries: Array<{ text: string; cidr: Cidr }> = [];
  for (const text of allow) {
    const r = parseCidr(text);
    if (r.ok) entries.push({ text, cidr: r.cidr });
  }
  return (address) => {
    const ip = parseIp(address);
    if (!ip) return 'foreign';
    return entries.find((e) => cidrContains(e.cidr, ip))?.text ?? 'foreign';
  };
}
