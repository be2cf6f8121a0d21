/**
 * Typed views of the headers the engine needs: Via, name-addr (From/To/Contact/Route), CSeq, and the
 * identifiers it generates (tags, branches, Call-IDs).
 */
import { randomBytes } from 'node:crypto';
import type { SipHeaders, SipMessage, Via } from './message';
import { formatParams, paramsWellFormed, parseParams } from './uri';

export { parseSipUri, formatSipUri, type SipUri } from './uri';

export type { Via } from './message';

export const MAGIC_COOKIE = 'z9hG4bK';

/** `SIP/2.0/UDP host[:port];params` */
export function parseVia(value: string): Via | undefined {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s;:]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/i.exec(value);
  if (!m) return undefined;
  const params = parseParams(m[4] ? m[4].slice(1) : '');
  const via: Via = { protocol: m[1]!.toUpperCase(), host: m[2]!, params };
  if (m[3]) via.port = Number(m[3]);
  const branch = params.get('branch');
  if (branch) via.branch = branch;
  return via;
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.protocol} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

export interface NameAddr {
  displayName?: string;
  uri: string;
  params: Map<string, string | null>;
  tag?: string;
}

/** `"Name" <uri>;params`, `<uri>;params` or a bare addr-spec `uri;params` (params then belong to the header). */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  const b = nameAddrBounds(v);
  if (!b) return undefined;
  const params = parseParams(v.slice(b.rest).trim().replace(/^;/, ''));
  const out: NameAddr = { uri: b.uri, params };
  const dn = b.lt === -1 ? '' : v.slice(0, b.lt).trim();
  if (dn) out.displayName = dn.replace(/^"|"$/g, '');
  const tag = params.get('tag');
  if (tag) out.tag = tag;
  return out;
}

/**
 * Where a name-addr's URI is and where its header parameters begin — the part of parseNameAddr that
 * decides whether the value parses at all — or undefined when parseNameAddr would return undefined.
 */
function nameAddrBounds(v: string): { uri: string; rest: number; lt: number } | undefined {
  if (!v) return undefined;
  let uri: string;
  let rest: number;
  const lt = findUnquoted(v, '<');
  if (lt !== -1) {
    const gt = v.indexOf('>', lt);
    if (gt === -1) return undefined;
    uri = v.slice(lt + 1, gt).trim();
    rest = gt + 1;
  } else {
    const semi = v.indexOf(';');
    uri = semi === -1 ? v : v.slice(0, semi);
    rest = semi === -1 ? v.length : semi;
  }
  return uri && uri.includes(':') ? { uri, rest, lt } : undefined;
}

/** Whether parseNameAddr(value) would succeed, without building its parameters. */
export const parsesAsNameAddr = (value: string): boolean => nameAddrBounds(value.trim()) !== undefined;

/**
 * parseNameAddr(value)?.tag without the rest of the parse: the engine reads From and To tags several
 * times per message (issue 11). The same rules: header parameters after `>` (or after a bare URI),
 * names case-insensitive, the last `tag` wins, an empty one is none.
 */
export function nameAddrTag(value: string): string | undefined {
  const v = value.trim();
  const b = nameAddrBounds(v);
  if (!b) return undefined;
  let tag: string | null | undefined;
  for (const part of v.slice(b.rest).split(';')) {
    const p = part.trim();
    if (p.length < 3) continue;
    const eq = p.indexOf('=');
    const name = eq === -1 ? p : p.slice(0, eq).trim();
    if (name.length === 3 && name.toLowerCase() === 'tag') tag = eq === -1 ? null : p.slice(eq + 1).trim();
  }
  return tag || undefined;
}

export function formatNameAddr(n: NameAddr): string {
  const dn = n.displayName !== undefined ? `"${n.displayName}" ` : '';
  return `${dn}<${n.uri}>${formatParams(n.params)}`;
}

function findUnquoted(s: string, ch: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) return i;
  }
  return -1;
}

/** `CSeq: <number> <method>`; the method is any token and, like the Request-Line's, case-sensitive. */
export function parseCSeq(value: string): { seq: number; method: string } | undefined {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) return undefined;
  return { seq, method: m[2]! };
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const QUOTED = /^"(?:[^"\\]|\\[\s\S])*"$/;
const TOKENS = /^[A-Za-z0-9\-.!%*_+`'~]+(?:\s+[A-Za-z0-9\-.!%*_+`'~]+)*$/;

/**
 * A From/To/Contact value as RFC 3261 §25.1 writes it: `[display-name] <URI> *(;param)` with the
 * display name a quoted string or tokens and no space inside the brackets, or a bare addr-spec that
 * has no `?` or `,` (§20.10: such a URI must be enclosed in <>), with well-formed parameters.
 */
export function isWellFormedNameAddr(value: string): boolean {
  const v = value.trim();
  const lt = findUnquoted(v, '<');
  let rest: string;
  if (lt !== -1) {
    const dn = v.slice(0, lt).trim();
    if (dn && !QUOTED.test(dn) && !TOKENS.test(dn)) return false;
    const gt = v.indexOf('>', lt);
    if (gt === -1 || !ABSOLUTE_URI.test(v.slice(lt + 1, gt))) return false;
    rest = v.slice(gt + 1).trim();
  } else {
    if (v.includes('"')) return false; // a display name whose quote never closes
    const semi = v.indexOf(';');
    const uri = (semi === -1 ? v : v.slice(0, semi)).trim();
    if (!ABSOLUTE_URI.test(uri) || /[?,]/.test(uri)) return false;
    rest = semi === -1 ? '' : v.slice(semi);
  }
  if (rest === '') return true;
  return rest.startsWith(';') && paramsWellFormed(rest.slice(1));
}

/** A From/To value without its tag parameter (the dialog keeps tags separately). */
export const stripTag = (v: string): string => v.replace(/;\s*tag=[^;>\s]*/i, '');

export const getCallId = (m: SipMessage): string | undefined => m.headers.get('call-id');
export const getCSeq = (m: SipMessage): { seq: number; method: string } | undefined => {
  const v = m.headers.get('cseq');
  return v === undefined ? undefined : parseCSeq(v);
};
export const getFromTag = (m: SipMessage): string | undefined => nameAddrTag(m.headers.get('from') ?? '');
export const getToTag = (m: SipMessage): string | undefined => nameAddrTag(m.headers.get('to') ?? '');
/**
 * The parsed top Via, made once per header state (engine code asks for it several times per
 * request); shared between callers until the headers change, so read it, do not modify it.
 */
export const getTopVia = (m: Pick<SipMessage, 'headers'>): Via | undefined => {
  const h = m.headers;
  if (h.topViaVersion === h.version) return h.topViaMemo;
  const top = h.first('via');
  const via = top === undefined ? undefined : parseVia(top);
  h.topViaMemo = via;
  h.topViaVersion = h.version;
  return via;
};

/** The parser has just parsed these headers' top Via: getTopVia starts from it rather than again. */
export function knownTopVia(headers: SipHeaders, via: Via): void {
  headers.topViaMemo = via;
  headers.topViaVersion = headers.version;
}
export const getBranch = (m: SipMessage): string | undefined => getTopVia(m)?.branch;

/*
 * Tags, branches and Call-IDs come from a pooled CSPRNG buffer: one randomBytes() call per 4 KiB
 * instead of one per identifier (the per-call cost showed up at 3.7 % of CPU under load).
 */
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let poolAt = 0;
const rand = (bytes: number): string => {
  if (poolAt + bytes > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
};
export const generateTag = (): string => rand(6);
export const generateBranch = (): string => `${MAGIC_COOKIE}${rand(8)}`;
export const generateCallId = (): string => rand(12);
