/** SIP/SIPS/tel URI parsing (RFC 3261 §19.1) — the parts the engine routes on. */
export interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Map<string, string | null>;
  headers?: string;
}

export function parseParams(s: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq === -1) out.set(p.toLowerCase(), null);
    else out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return out;
}

/**
 * `a=1;b;c="x;y"` (the text after the first `;`): every parameter a token name with an optional value
 * (token, host or quoted string; spaces around `=` allowed). Empty parameters (`;;`) are not.
 */
export function paramsWellFormed(s: string): boolean {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return false;
  parts.push(s.slice(start));
  return parts.every((p) => PARAM.test(p.trim()));
}

const PARAM = /^[A-Za-z0-9\-.!%*_+`'~]+(?:\s*=\s*(?:"(?:[^"\\]|\\[\s\S])*"|[^\s;,"]+))?$/;

export function formatParams(params: Map<string, string | null>): string {
  let s = '';
  for (const [k, v] of params) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

export function parseSipUri(input: string): SipUri | undefined {
  const uri = input.trim();
  const colon = uri.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = uri.slice(0, colon).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return undefined;
  let rest = uri.slice(colon + 1);
  let headers: string | undefined;
  // `?` may appear in the user part (RFC 3261 §25.1 user-unreserved): headers start after the host.
  const q = rest.indexOf('?', rest.lastIndexOf('@') + 1);
  if (q !== -1) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi === -1 ? rest : rest.slice(0, semi);
    if (!number) return undefined;
    return { scheme, user: number, host: '', params: parseParams(semi === -1 ? '' : rest.slice(semi + 1)) };
  }
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    if (pc === -1) user = userinfo;
    else {
      user = userinfo.slice(0, pc);
      password = userinfo.slice(pc + 1);
    }
  }
  const semi = rest.indexOf(';');
  const hostport = semi === -1 ? rest : rest.slice(0, semi);
  const params = parseParams(semi === -1 ? '' : rest.slice(semi + 1));
  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close === -1) return undefined;
    host = hostport.slice(0, close + 1);
    const after = hostport.slice(close + 1);
    if (after.startsWith(':')) portText = after.slice(1);
    else if (after) return undefined;
  } else {
    const pc = hostport.indexOf(':');
    host = pc === -1 ? hostport : hostport.slice(0, pc);
    if (pc !== -1) portText = hostport.slice(pc + 1);
  }
  if (!host || /[\s<>"]/.test(host)) return undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port > 65535) return undefined;
  }
  const out: SipUri = { scheme, host, params };
  if (user !== undefined) out.user = user;
  if (password !== undefined) out.password = password;
  if (port !== undefined) out.port = port;
  if (headers !== undefined) out.headers = headers;
  return out;
}

export function formatSipUri(u: SipUri): string {
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${formatParams(u.params)}`;
  const userinfo = u.user !== undefined ? `${u.user}${u.password !== undefined ? `:${u.password}` : ''}@` : '';
  const port = u.port !== undefined ? `:${u.port}` : '';
  const headers = u.headers !== undefined ? `?${u.headers}` : '';
  return `${u.scheme}:${userinfo}${u.host}${port}${formatParams(u.params)}${headers}`;
}
