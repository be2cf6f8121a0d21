/**
 * SIP message parser (RFC 3261 §7, §18.3). Never throws: any input yields a message or an error, and
 * for a request whose start line and Via survived, the headers that could be read so the transport
 * can still answer 400.
 */
import { SipHeaders, canonicalName, type HeaderField, type SipMessage } from './message';
import { parseCSeq, parseNameAddr, parseVia } from './headers';

export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; error: string; request?: { method: string; uri: string; headers: SipHeaders } };

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** Index of the blank line ending the header block and its length (CRLFCRLF, or bare LFLF). */
export function findHeaderEnd(buf: Buffer, from = 0): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf === -1 && lf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
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
    if (/[\r\0]/.test(line)) {
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
  const fail = (error: string): ParseResult => (partial ? { ok: false, error, request: partial } : { ok: false, error });

  if (!end) return fail('truncated message: no end of headers');
  if (headerError) return fail(headerError);
  for (const h of REQUIRED) if (!headers.has(h)) return fail(`missing ${displayName(h)} header`);
  if (!parseVia(headers.getAll('via')[0] ?? '')) return fail('invalid Via header');
  const cseq = parseCSeq(headers.get('cseq') ?? '');
  if (!cseq) return fail('invalid CSeq header');
  if (start.kind === 'request' && cseq.method !== start.method) return fail('CSeq method does not match the request method');
  if (!headers.get('call-id')) return fail('empty Call-ID header');
  if (!parseNameAddr(headers.get('from') ?? '') || !parseNameAddr(headers.get('to') ?? '')) return fail('invalid From or To header');
  if (start.kind === 'request' && start.method === 'INVITE' && !headers.has('contact')) return fail('missing Contact header'); // RFC 3261 §8.1.1.8

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
  const body = Buffer.from(buf.subarray(bodyStart, bodyStart + bodyLength));
  if (start.kind === 'request') {
    return { ok: true, message: { kind: 'request', method: start.method, uri: start.uri, version: 'SIP/2.0', headers, body } };
  }
  return { ok: true, message: { kind: 'response', status: start.status, reason: start.reason, version: 'SIP/2.0', headers, body } };
}

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

function parseStartLine(line: string): StartLine | undefined {
  if (line.length > 8192 || /[\x00-\x08\x0b-\x1f\x7f]/.test(line)) return undefined;
  if (line.startsWith('SIP/')) {
    const m = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(line.trimEnd());
    if (!m) return undefined;
    return { kind: 'response', status: Number(m[1]), reason: m[2] ?? '' };
  }
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(line.trimEnd());
  if (!m) return undefined;
  const uri = m[2]!;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return undefined;
  return { kind: 'request', method: m[1]!.toUpperCase(), uri };
}

const DISPLAY: Record<string, string> = { via: 'Via', from: 'From', to: 'To', 'call-id': 'Call-ID', cseq: 'CSeq' };
const displayName = (h: string): string => DISPLAY[canonicalName(h)] ?? h;
