/**
 * IPv4/IPv6 addresses and CIDRs as plain numbers, parsed once at config load so that matching a
 * source address costs a few integer comparisons. IPv4-mapped IPv6 (::ffff:192.0.2.1) is treated
 * as the IPv4 address, since dual-stack sockets report IPv4 peers that way.
 *
 * An address is 4 uint32 words: IPv4 uses words[3] only (words 0..2 zero) and family 4.
 */
export interface IpAddr {
  readonly family: 4 | 6;
  readonly words: readonly [number, number, number, number];
}

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address, masked. */
  readonly words: readonly [number, number, number, number];
  readonly masks: readonly [number, number, number, number];
  readonly prefixLen: number;
  /** Canonical text, for messages. */
  readonly text: string;
}

export function parseIPv4(s: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("010" is octal to some parsers): refuse rather than guess.
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Eight 16-bit groups, or undefined. Accepts "::" compression and a trailing dotted IPv4. One pass
 * over the characters: source addresses are parsed on the routing hot path.
 */
function parseIPv6Groups(s: string): number[] | undefined {
  const len = s.length;
  if (len < 2 || len > 45) return undefined;
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0;
  let dbl = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined;
    dbl = 0;
    i = 2;
  }
  while (i < len) {
    const start = i;
    let v = 0;
    let digits = 0;
    for (let h = hexValue(s.charCodeAt(i)); i < len && h >= 0; h = hexValue(s.charCodeAt(++i))) {
      v = v * 16 + h;
      if (++digits > 4) break;
    }
    if (i < len && s.charCodeAt(i) === 46) {
      // Dotted IPv4 in the last 32 bits.
      if (n > 6) return undefined;
      const v4 = parseIPv4(s.slice(start));
      if (v4 === undefined) return undefined;
      g[n++] = v4 >>> 16;
      g[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (digits === 0 || digits > 4 || n >= 8) return undefined;
    g[n++] = v;
    if (i === len) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < len && s.charCodeAt(i) === 58) {
      if (dbl >= 0) return undefined;
      dbl = n;
      i++;
    } else if (i === len) return undefined; // a trailing single ":"
  }
  if (dbl < 0) return n === 8 ? g : undefined;
  if (n > 7) return undefined;
  // Move the groups after "::" to the end and zero the gap (copy from the back: ranges may overlap).
  const tail = n - dbl;
  for (let k = 0; k < tail; k++) g[7 - k] = g[n - 1 - k]!;
  for (let k = dbl; k < 8 - tail; k++) g[k] = 0;
  return g;
}

/** Parses an IPv4 or IPv6 address (brackets and a %zone suffix are ignored). */
export function parseIp(input: string): IpAddr | undefined {
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (!s.includes(':')) {
    const v4 = parseIPv4(s);
    return v4 === undefined ? undefined : { family: 4, words: [0, 0, 0, v4] };
  }
  const g = parseIPv6Groups(s);
  if (!g) return undefined;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { family: 4, words: [0, 0, 0, ((g[6]! << 16) | g[7]!) >>> 0] };
  }
  return { family: 6, words: [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0, ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0] };
}

function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (= /32 or /128). Host bits must be zero. */
export function parseCidr(input: string): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
  const slash = input.indexOf('/');
  const addrText = slash < 0 ? input : input.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return { ok: false, reason: `"${addrText}" is not an IPv4 or IPv6 address` };
  // A mapped address written in IPv6 form keeps IPv6 prefix lengths: ::ffff:10.0.0.0/104 = 10.0.0.0/8.
  const writtenV6 = addrText.includes(':');
  const max = writtenV6 ? 128 : 32;
  let len = max;
  if (slash >= 0) {
    const lt = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lt) || Number(lt) > max) return { ok: false, reason: `prefix length "/${lt}" must be 0–${max}` };
    len = Number(lt);
  }
  const family = addr.family;
  if (writtenV6 && addr.family === 4) {
    if (len < 96) return { ok: false, reason: 'an IPv4-mapped prefix must be /96 or longer' };
    len -= 96;
  }
  const bitsBefore = family === 4 ? 96 : 0;
  const totalLen = bitsBefore + len;
  const masks: [number, number, number, number] = [0, 1, 2, 3].map((w) => (family === 4 && w < 3 ? 0 : maskWord(totalLen - w * 32))) as [number, number, number, number];
  const words = addr.words.map((v, i) => (v & masks[i]!) >>> 0) as [number, number, number, number];
  if (words.some((v, i) => v !== addr.words[i])) {
    return { ok: false, reason: `host bits are set: did you mean ${formatCidr(family, words, len)}?` };
  }
  return { ok: true, cidr: { family, words, masks, prefixLen: len, text: formatCidr(family, words, len) } };
}

export function cidrContains(c: Cidr, a: IpAddr): boolean {
  if (c.family !== a.family) return false;
  const w = a.words;
  const m = c.masks;
  const n = c.words;
  return ((w[3] & m[3]) >>> 0) === n[3] && ((w[2] & m[2]) >>> 0) === n[2] && ((w[1] & m[1]) >>> 0) === n[1] && ((w[0] & m[0]) >>> 0) === n[0];
}

function formatCidr(family: 4 | 6, words: readonly number[], len: number): string {
  if (family === 4) {
    const v = words[3]!;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${len}`;
  }
  const g: number[] = [];
  for (const w of words) g.push(w >>> 16, w & 0xffff);
  // RFC 5952: compress the longest run (≥ 2) of zero groups with "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  const text = bestAt < 0 ? hex(g) : `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
  return `${text}/${len}`;
}
