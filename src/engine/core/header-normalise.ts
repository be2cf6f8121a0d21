/**
 * Headers an application writes are normalised the way drachtio-server does it (its makeTags()
 * hands well-known headers to sofia-sip, which re-encodes them, and passes custom ones through):
 *
 * - a header name that is not an RFC 3261 token, or a value with CR/LF, is dropped;
 * - Via, Route, RSeq, Record-Route and Content-Length belong to the stack: dropped;
 * - well-known headers get their canonical spelling (`call-id` → `Call-ID`, compact `m` → `Contact`);
 * - custom headers are capitalised after each dash (`my-header` → `My-Header`) unless they start
 *   with `X-`, which keep the case the application wrote;
 * - address headers (Contact, From, To, P-Asserted-Identity …) in addr-spec form get angle brackets:
 *   `sip:u@h:5060;expires=60` → `<sip:u@h:5060>;expires=60` (RFC 3261 §20.10: the parameters of a
 *   bare addr-spec belong to the header). UAs that build in-dialog requests from the Contact
 *   (SIPp's `[last_Contact:]` among them) break on the bare form.
 */
import { canonicalName, splitHeaderList, type HeaderField } from '../../sip/message';

/** Owned by the stack in every message an application sends. */
const IMMUTABLE = new Set(['via', 'route', 'rseq', 'record-route', 'content-length']);

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Canonical spelling of the headers sofia knows (lower-case long name → wire name). */
const CANONICAL = new Map<string, string>([
  'User-Agent', 'Subject', 'Max-Forwards', 'Proxy-Require', 'Accept-Contact', 'Reject-Contact', 'Expires', 'Date',
  'Retry-After', 'Timestamp', 'Min-Expires', 'Priority', 'Call-Info', 'Organization', 'Server', 'In-Reply-To',
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Allow', 'Require', 'Supported', 'Unsupported', 'Event',
  'Allow-Events', 'Subscription-State', 'Proxy-Authenticate', 'Proxy-Authentication-Info', 'Proxy-Authorization',
  'Authorization', 'WWW-Authenticate', 'Authentication-Info', 'Error-Info', 'Warning', 'Refer-To', 'Referred-By',
  'Replaces', 'Session-Expires', 'Min-SE', 'Path', 'Service-Route', 'Reason', 'Security-Client', 'Security-Server',
  'Security-Verify', 'Privacy', 'SIP-ETag', 'SIP-If-Match', 'MIME-Version', 'Content-Type', 'Content-Encoding',
  'Content-Language', 'Content-Disposition', 'Request-Disposition', 'Refer-Sub', 'Alert-Info', 'Reply-To',
  'P-Asserted-Identity', 'P-Preferred-Identity', 'Remote-Party-ID', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'RAck',
].map((n) => [n.toLowerCase(), n]));

/** Headers whose values are name-addr / addr-spec lists. */
const ADDRESS = new Set(['contact', 'from', 'to', 'reply-to', 'refer-to', 'referred-by', 'p-asserted-identity',
  'p-preferred-identity', 'remote-party-id', 'path', 'service-route']);

/** Address headers that hold exactly one address (commas inside them are not list separators). */
const SINGLE_ADDRESS = new Set(['from', 'to', 'reply-to', 'refer-to', 'referred-by']);

/** drachtio's capitalizeAfterDash(): `my-header` → `My-Header`; `X-…` kept as written. */
export function capitaliseAfterDash(name: string): string {
  if (/^x-/i.test(name)) return name;
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** One address: a bare addr-spec gets angle brackets, its trailing parameters stay outside them. */
export function bracketAddress(value: string): string {
  const v = value.trim();
  if (v === '*' || v.includes('<')) return v;
  const semi = v.indexOf(';');
  const uri = semi === -1 ? v : v.slice(0, semi);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return v; // not a URI (a quoted name without <> is invalid anyway)
  return `<${uri.trim()}>${semi === -1 ? '' : v.slice(semi)}`;
}

/** The header as drachtio-server would send it, or undefined when it would drop it. */
export function normaliseAppHeader(f: HeaderField): HeaderField | undefined {
  const name = f.name.trim();
  if (!TOKEN.test(name) || /[\r\n]/.test(f.value)) return undefined;
  const canon = canonicalName(name);
  if (IMMUTABLE.has(canon)) return undefined;
  const wireName = CANONICAL.get(canon) ?? capitaliseAfterDash(name);
  if (!ADDRESS.has(canon)) return { name: wireName, value: f.value };
  const parts = SINGLE_ADDRESS.has(canon) ? [f.value] : splitHeaderList(f.value);
  return { name: wireName, value: parts.map(bracketAddress).join(', ') };
}

export function normaliseAppHeaders(fields: readonly HeaderField[]): HeaderField[] {
  const out: HeaderField[] = [];
  for (const f of fields) {
    const n = normaliseAppHeader(f);
    if (n) out.push(n);
  }
  return out;
}
