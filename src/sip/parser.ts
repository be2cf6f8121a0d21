/**
 * SIP message parser (RFC 3261 §7, §18.3). Never throws: any input yields a message or an error, and
 * for a request whose start line and Via survived, the headers that could be read so the transport
 * can still answer 400.
 */
import { SipHeaders, canonicalName, type HeaderField, type SipMessage } from './message';
import { isWellFormedNameAddr, knownTopVia, parseCSeq, parsesAsNameAddr, parseVia } from './headers';
import { paramsWellFormed } from './uri';
import { ownedCopy } from './owned';

/**
 * `status` is the answer a request that failed here should get: 505 for a SIP version other than 2.0,
 * 400 (absent) for everything else.
 */
export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; error: string; status?: number; request?: { method: string; uri: string; headers: SipHeaders } };

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;
/** Headers a request may carry once only (RFC 3261 §7.3.1: they are not comma lists). */
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'max-forwards'] as const;

/** Index of the blank line ending the header block and its length (CRLFCRLF, or bare LFLF). */
export function findHeaderEnd(buf: Buffer, from = 0): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf === -1 && lf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
}

/**
 * A CR anywhere, or a NUL that is not a quoted-pair inside a quoted string (RFC 3261 §25.1 allows
 * `\` + NUL there, as RFC 4475's intmeth shows). A bare CR or NUL in a Call-ID or tag reached
 * drachtio-srf inside the wire protocol's dialog id and broke its framing (found by the fuzzer).
 */
function hasBareControl(line: string): boolean {
  if (line.indexOf('\r') !== -1) return true;
  if (line.indexOf('\0') === -1) return false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') i++; // quoted-pair: the next character (even NUL) is literal
    else if (c === '"') quoted = !quoted;
    else if (c === '\0') return true;
  }
  return false;
}

export function parseMessage(buf: Buffer): ParseResult {
  if (buf.length === 0) return { ok: false, error: 'empty message' };
  const end = findHeaderEnd(buf);
  const headText = buf.toString('utf8', 0, end ? end.index : buf.length);
  const lines = headText.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const start = parseStartLine(startLine);
  if (!start) return { ok: false, error: 'invalid start line' };

  const fields: HeaderField[] = [];
  let headerError: string | undefined;
  for (const line of lines) {
    if (line === '') continue;
    if (hasBareControl(line)) {
      headerError ??= 'bare CR or NUL in a header line'; // would also break the wire protocol's framing
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      // RFC 3261 §7.3.1 folding: a continuation line belongs to the previous header.
      const last = fields[fields.length - 1];
      if (last) last.value = `${last.value} ${line.trim()}`;
      else headerError ??= 'continuation line before any header';
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || !TOKEN.test(name)) {
      headerError ??= `invalid header line "${line.slice(0, 40)}"`;
      continue;
    }
    fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  const headers = new SipHeaders(fields);
  const partial = start.kind === 'request' ? { method: start.method, uri: start.uri, headers } : undefined;
  const fail = (error: string, status?: number): ParseResult => {
    const out: ParseResult = partial ? { ok: false, error, request: partial } : { ok: false, error };
    if (status !== undefined) out.status = status;
    return out;
  };

  if (!end) return fail('truncated message: no end of headers');
  if (start.kind === 'request' && start.error) return fail(start.error, start.status);
  if (headerError) return fail(headerError);
  for (const h of REQUIRED) if (!headers.has(h)) return fail(`missing ${displayName(h)} header`);
  const topVia = parseVia(headers.first('via') ?? '');
  if (!topVia) return fail('invalid Via header');
  const cseq = parseCSeq(headers.get('cseq') ?? '');
  if (!cseq) return fail('invalid CSeq header');
  if (start.kind === 'request' && cseq.method !== start.method) return fail('CSeq method does not match the request method');
  if (!headers.get('call-id')) return fail('empty Call-ID header');
  // Content-Length is never split on commas: one value per header line.
  const lengths = headers.getAll('content-length');
  if (lengths.some((v) => v !== lengths[0])) return fail('two different Content-Length values');
  if (start.kind === 'request') {
    const bad = requestHeaderError(headers);
    if (bad) return fail(bad);
  }
  if (!parsesAsNameAddr(headers.get('from') ?? '') || !parsesAsNameAddr(headers.get('to') ?? '')) return fail('invalid From or To header');
  // Two tags: we would take one and the peer the other, and its in-dialog requests would never match.
  if (tagCount(headers.get('from') ?? '') > 1 || tagCount(headers.get('to') ?? '') > 1) return fail('invalid From or To header (more than one tag)');

  const bodyStart = end.index + end.length;
  const available = buf.length - bodyStart;
  let bodyLength = available;
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    if (!/^\d{1,10}$/.test(cl)) return fail('bad Content-Length');
    const n = Number(cl);
    if (n > available) return fail(`bad Content-Length: ${n} bytes announced, ${available} present`);
    bodyLength = n; // extra bytes after the body are discarded (RFC 3261 §18.3)
  }
  const body = ownedCopy(buf, bodyStart, bodyStart + bodyLength);
  knownTopVia(headers, topVia);
  if (start.kind === 'request') {
    return { ok: true, message: { kind: 'request', method: start.method, uri: start.uri, version: 'SIP/2.0', headers, body } };
  }
  return { ok: true, message: { kind: 'response', status: start.status, reason: start.reason, version: 'SIP/2.0', headers, body } };
}

/**
 * Stricter checks on a request's headers (RFC 3261 §25 grammar, RFC 4475 §3.1.2 and §3.3.8): each
 * single-valued header once, every Via and name-addr well formed (no empty `;;` parameters, quotes
 * closed, no spaces inside <>, display names tokens or quoted), Max-Forwards 0–255. Responses are
 * not held to these: a carrier's odd header must not lose us its answer.
 */
/** How many `tag` parameters a From/To carries as header parameters (after the `>` of a name-addr). */
function tagCount(value: string): number {
  const close = value.lastIndexOf('>');
  const params = value.includes('<') ? value.slice(close + 1) : value;
  return params.match(/;\s*tag\s*=/gi)?.length ?? 0;
}

function requestHeaderError(headers: SipHeaders): string | undefined {
  for (const h of SINGLE) if (headers.count(h) > 1) return `more than one ${displayName(h)} header`;
  const vias = headers.getAll('via');
  for (let i = 0; i < vias.length; i++) {
    const v = vias[i]!;
    const semi = v.indexOf(';');
    // The top one has been parsed already (parseMessage).
    if ((i > 0 && !parseVia(v)) || (semi !== -1 && !paramsWellFormed(v.slice(semi + 1)))) return 'invalid Via header';
  }
  for (const h of ['from', 'to'] as const) {
    if (!isWellFormedNameAddr(headers.get(h) ?? '')) return `invalid ${displayName(h)} header`;
  }
  for (const c of headers.getAll('contact')) if (c !== '*' && !isWellFormedNameAddr(c)) return 'invalid Contact header';
  const mf = headers.get('max-forwards');
  if (mf !== undefined && !(/^\d{1,10}$/.test(mf) && Number(mf) <= 255)) return 'Max-Forwards is not a number from 0 to 255';
  return undefined;
}

type StartLine =
  | { kind: 'request'; method: string; uri: string; error?: string; status?: number }
  | { kind: 'response'; status: number; reason: string };

/**
 * Request-Line = Method SP Request-URI SP SIP-Version, single spaces, nothing after the version
 * (RFC 3261 §25.1). A line that starts with a method token but breaks that grammar is still reported
 * as a request (with `error`) so that it gets a 400 rather than silence.
 */
function parseStartLine(line: string): StartLine | undefined {
  if (line.length > 8192 || /[\x00-\x08\x0b-\x1f\x7f]/.test(line)) return undefined;
  if (line.startsWith('SIP/')) {
    const m = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(line);
    if (!m) return undefined;
    return { kind: 'response', status: Number(m[1]), reason: m[2] ?? '' };
  }
  const method = /^([^ ]+) /.exec(line)?.[1];
  if (!method || !TOKEN.test(method)) return undefined;
  const m = /^[^ ]+ ([^ ]+) (SIP\/\d+\.\d+)$/.exec(line);
  const uri = m?.[1] ?? line.split(' ').filter(Boolean)[1] ?? '';
  if (!m) return { kind: 'request', method, uri, error: 'malformed Request-Line (one space between method, URI and version, none elsewhere)' };
  if (m[2] !== 'SIP/2.0') return { kind: 'request', method, uri, error: `${m[2]} is not supported`, status: 505 };
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return { kind: 'request', method, uri, error: 'Request-URI is not an absolute URI' };
  return { kind: 'request', method, uri };
}

const DISPLAY: Record<string, string> = { via: 'Via', from: 'From', to: 'To', 'call-id': 'Call-ID', cseq: 'CSeq', 'max-forwards': 'Max-Forwards' };
const displayName = (h: string): string => DISPLAY[canonicalName(h)] ?? h;
