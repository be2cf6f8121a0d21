/**
 * Per-carrier number manipulation and the outbound request-URI: pure string functions the call
 * layer applies once a carrier is chosen.
 */
import type { CarrierConfig, NumberRewrite } from '../config/types';

/** Removes `stripDigits` leading characters, then adds `addPrefix`. */
export function rewriteUser(user: string, rule: NumberRewrite): string {
  return rule.addPrefix + user.slice(rule.stripDigits);
}

/** `sip:<rewritten user>@host:port;transport=…` for one carrier. */
export function carrierRequestUri(carrier: Pick<CarrierConfig, 'target' | 'rewrite'>, user: string): string {
  const t = carrier.target;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.scheme}:${rewriteUser(user, carrier.rewrite)}@${host}:${t.port};transport=${t.transport}`;
}
