/**
 * Inbound digest authentication of the IVR platform (RFC 3261 §22, RFC 2617 / RFC 8760 MD5 with
 * qop=auth). Stateless nonces: `<ms>.<hmac(ms)>`, valid NONCE_TTL_MS — nothing is stored per
 * challenge, so a flood of unauthenticated INVITEs leaves no state. Passwords come from the
 * environment (TRUNKWISE_IVR_AUTH) and are never logged.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const NONCE_TTL_MS = 300_000;

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown-user' | 'bad-response' | 'wrong-realm' | 'bad-nonce'; stale?: boolean };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parse `Digest k=v, k="v", …` into a map (keys lower-cased). */
export function parseDigest(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[1]!)) !== null) out[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return out;
}

/** `user:password,user2:password2` (TRUNKWISE_IVR_AUTH) → map; throws naming the problem, never the password. */
export function parseCredentials(spec: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const [i, entry] of spec.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) throw new Error(`TRUNKWISE_IVR_AUTH entry ${i + 1} is not user:password`);
    users.set(entry.slice(0, colon), entry.slice(colon + 1));
  }
  if (users.size === 0) throw new Error('TRUNKWISE_IVR_AUTH is set but names no user:password');
  return users;
}

export class DigestAuth {
  private readonly key = randomBytes(32);

  constructor(private readonly realm: string, private readonly users: ReadonlyMap<string, string>) {}

  /** The WWW-Authenticate header value for a 401. */
  challenge(now: number, stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce(now)}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  verify(header: string | undefined, method: string, now: number): DigestVerdict {
    if (!header) return { ok: false, reason: 'missing' };
    const d = parseDigest(header);
    if (!d || !d.username || !d.nonce || !d.uri || !d.response) return { ok: false, reason: 'malformed' };
    if (d.realm !== this.realm) return { ok: false, reason: 'wrong-realm' };
    const nonceAge = this.nonceAge(d.nonce, now);
    if (nonceAge === undefined) return { ok: false, reason: 'bad-nonce' };
    const password = this.users.get(d.username);
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    if (d.algorithm && d.algorithm.toUpperCase() !== 'MD5') return { ok: false, reason: 'malformed' };
    const ha1 = md5(`${d.username}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${d.uri}`);
    const expected = d.qop
      ? md5(`${ha1}:${d.nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:${d.qop}:${ha2}`)
      : md5(`${ha1}:${d.nonce}:${ha2}`);
    const a = Buffer.from(expected);
    const b = Buffer.from(d.response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'bad-response' };
    // A correct answer to an expired nonce: ask again with stale=true (the client re-uses its password).
    if (nonceAge > NONCE_TTL_MS) return { ok: false, reason: 'bad-nonce', stale: true };
    return { ok: true, username: d.username };
  }

  private nonce(now: number): string {
    const ts = String(now);
    return `${ts}.${createHmac('sha256', this.key).update(ts).digest('base64url').slice(0, 22)}`;
  }

  /** Age of a nonce we issued, or undefined when we did not issue it. */
  private nonceAge(nonce: string, now: number): number | undefined {
    const [ts, mac] = nonce.split('.');
    if (!ts || !mac || !/^\d{1,16}$/.test(ts)) return undefined;
    const want = createHmac('sha256', this.key).update(ts).digest('base64url').slice(0, 22);
    if (want.length !== mac.length || !timingSafeEqual(Buffer.from(want), Buffer.from(mac))) return undefined;
    return now - Number(ts);
  }
}
