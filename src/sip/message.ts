/**
 * The SIP message model shared by every engine layer.
 *
 * Headers keep their order and their spelling as received (so what the app sees over the wire
 * protocol is what the peer sent); lookups are case-insensitive and compact-form aware.
 */

/** Compact header forms (RFC 3261 §7.3.3 and extensions) → canonical lower-case long name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

/**
 * Spellings seen → canonical name. Header lookups compare canonical names many times per message
 * (4.7 % of CPU under load when each lookup lower-cased every field name); a peer sees few distinct
 * spellings, and the map is emptied if one sends many.
 */
const CANONICAL = new Map<string, string>();
const CANONICAL_MAX = 4096;

/** Lower-case long name for any spelling (compact or long, any case). */
export function canonicalName(name: string): string {
  const known = CANONICAL.get(name);
  if (known !== undefined) return known;
  const lower = name.trim().toLowerCase();
  const canonical = COMPACT_FORMS[lower] ?? lower;
  if (CANONICAL.size >= CANONICAL_MAX) CANONICAL.clear();
  CANONICAL.set(name, canonical);
  return canonical;
}

/** Headers whose values may not be split on commas (they contain commas in their grammar). */
const UNSPLITTABLE = new Set([
  'www-authenticate', 'authorization', 'proxy-authenticate', 'proxy-authorization',
  'date', 'call-id', 'cseq', 'from', 'to', 'content-length', 'content-type', 'user-agent',
  'server', 'subject', 'organization', 'retry-after', 'timestamp', 'reason',
]);

export interface HeaderField {
  /** Name as it appeared on the wire (or as the app wrote it). */
  name: string;
  value: string;
}

/** A parsed Via value: `SIP/2.0/UDP host[:port];params`. */
export interface Via {
  protocol: string;
  host: string;
  port?: number;
  params: Map<string, string | null>;
  branch?: string;
}

/** Bytes serializeMessage made from headers, with what else they were made from. */
export interface SerializedMemo {
  start: string;
  version: number;
  body: Buffer;
  bytes: Buffer;
}

/**
 * Ordered, case-insensitive header list. Each field's canonical name is worked out once, when the
 * field is added, and kept in `keys` beside it: a lookup compares strings instead of resolving every
 * field's spelling again (issue 11: lookups run many times per message).
 */
export class SipHeaders {
  private readonly fields: HeaderField[];
  /** keys[i] is canonicalName(fields[i].name); changed only together with `fields`. */
  private readonly keys: string[];
  /** Bumped by every change through this class: lets the serializer reuse bytes it already made. */
  version = 0;
  /*
   * What is derived from these headers is kept on the object itself, each valid while `version` is
   * the one it was made at — not in module-level WeakMaps keyed by message or headers, which cost an
   * extra object and an ephemeron per live message for the GC to trace (issue 11).
   */
  /** getTopVia's parse of the first Via value (headers.ts), made at topViaVersion. */
  topViaMemo: Via | undefined = undefined;
  topViaVersion = -1;
  /** serializeMessage's remembered bytes (serializer.ts). */
  bytesMemo: SerializedMemo | undefined = undefined;

  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
    this.keys = fields.map((f) => canonicalName(f.name));
  }

  private indexOf(want: string): number {
    return this.keys.indexOf(want);
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const i = this.indexOf(canonicalName(name));
    return i === -1 ? undefined : this.fields[i]!.value;
  }

  /**
   * The first value of a list header (e.g. the top Via) without splitting the rest of the list:
   * what getAll(name)[0] returns, for the cost of one value.
   */
  first(name: string): string | undefined {
    const want = canonicalName(name);
    const unsplittable = UNSPLITTABLE.has(want);
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== want) continue;
      const v = this.fields[i]!.value;
      if (unsplittable) return v;
      if (v.indexOf(',') === -1) {
        const one = v.trim();
        if (one) return one;
        continue;
      }
      const parts = splitHeaderList(v);
      if (parts.length) return parts[0];
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.indexOf(canonicalName(name)) !== -1;
  }

  /** How many header lines carry this header (a comma list counts once). */
  count(name: string): number {
    const want = canonicalName(name);
    let n = 0;
    for (const k of this.keys) if (k === want) n++;
    return n;
  }

  /**
   * Every value of the header, with comma-separated lists split into separate values
   * (commas inside quotes or <> are respected). Headers whose grammar contains commas are not split.
   */
  getAll(name: string): string[] {
    const want = canonicalName(name);
    const unsplittable = UNSPLITTABLE.has(want);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== want) continue;
      const v = this.fields[i]!.value;
      if (unsplittable) out.push(v);
      else if (v.indexOf(',') === -1) {
        const one = v.trim();
        if (one) out.push(one);
      }
      // A loop, not push(...list): a list of 150,000+ values would overflow the stack as arguments.
      else for (const part of splitHeaderList(v)) out.push(part);
    }
    return out;
  }

  /** Replace every occurrence of the header with one value. */
  set(name: string, value: string): void {
    this.version++;
    const want = canonicalName(name);
    const idx = this.indexOf(want);
    this.removeKey(want);
    const at = idx === -1 ? this.fields.length : Math.min(idx, this.fields.length);
    this.fields.splice(at, 0, { name, value });
    this.keys.splice(at, 0, want);
  }

  append(name: string, value: string): void {
    this.version++;
    this.fields.push({ name, value });
    this.keys.push(canonicalName(name));
  }

  /** Insert before every other header of the same name (used for Via and Record-Route). */
  prepend(name: string, value: string): void {
    this.version++;
    const want = canonicalName(name);
    const idx = this.indexOf(want);
    const at = idx === -1 ? this.fields.length : idx;
    this.fields.splice(at, 0, { name, value });
    this.keys.splice(at, 0, want);
  }

  remove(name: string): void {
    this.version++;
    this.removeKey(canonicalName(name));
  }

  private removeKey(want: string): void {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] !== want) continue;
      this.fields.splice(i, 1);
      this.keys.splice(i, 1);
    }
  }

  /** Remove only the first value (e.g. a proxy popping its own Via); splits a comma list. */
  removeFirst(name: string): void {
    this.version++;
    const idx = this.indexOf(canonicalName(name));
    if (idx === -1) return;
    const parts = splitHeaderList(this.fields[idx]!.value);
    if (parts.length <= 1) {
      this.fields.splice(idx, 1);
      this.keys.splice(idx, 1);
    } else this.fields[idx] = { name: this.fields[idx]!.name, value: parts.slice(1).join(', ') };
  }

  entries(): readonly HeaderField[] {
    return this.fields;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.fields.map((f) => ({ ...f })));
  }
}

/** Split a comma-separated header value, ignoring commas inside quotes or angle brackets. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) { i++; continue; }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export type TransportProtocol = 'udp' | 'tcp';

/** Where a message came from or goes to. */
export interface Target {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}
