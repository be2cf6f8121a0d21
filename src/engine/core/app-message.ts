/**
 * SIP text from the application is partial by design (drachtio-srf leaves Via, CSeq, Call-ID… to the
 * server), so it is read leniently here: start line, headers, body — no mandatory-header checks.
 */
import { SipHeaders, canonicalName, type HeaderField } from '../../sip/message';
import { normaliseAppHeaders } from './header-normalise';
import { ownedUtf8 } from '../../sip/owned';

export type AppStartLine =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string };

export interface AppMessage {
  start: AppStartLine;
  headers: SipHeaders;
  body: Buffer;
}

export function parseAppMessage(text: string): AppMessage | undefined {
  let sep = text.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep === -1) {
    sep = text.indexOf('\n\n');
    sepLen = 2;
  }
  const head = sep === -1 ? text : text.slice(0, sep);
  const body = sep === -1 ? Buffer.alloc(0) : ownedUtf8(text.slice(sep + sepLen));
  const lines = head.split(/\r?\n/);
  const first = (lines.shift() ?? '').trim();
  const start = parseStart(first);
  if (!start) return undefined;
  const fields: HeaderField[] = [];
  for (const line of lines) {
    if (!line) continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length) {
      fields[fields.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return { start, headers: new SipHeaders(fields), body };
}

function parseStart(line: string): AppStartLine | undefined {
  if (line.startsWith('SIP/')) {
    const m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(line);
    if (!m) return undefined;
    return { kind: 'response', status: Number(m[1]), reason: m[2] ?? '' };
  }
  const m = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(line);
  if (!m) return undefined;
  return { kind: 'request', method: m[1]!.toUpperCase(), uri: m[2]! };
}

/** Headers of a response the engine writes itself from the request (the app's are ignored). */
const ENGINE_OWNED_RESPONSE = new Set(['from', 'to', 'call-id', 'cseq']);

/**
 * The application's headers to copy into a request, normalised as drachtio-server does
 * (header-normalise.ts), minus those the request builder already wrote (`alreadyWritten`).
 */
export function appHeadersForRequest(h: SipHeaders, alreadyWritten: readonly string[] = []): HeaderField[] {
  const skip = new Set(alreadyWritten);
  return normaliseAppHeaders(h.entries()).filter((f) => !skip.has(canonicalName(f.name)));
}

export function appHeadersForResponse(h: SipHeaders): HeaderField[] {
  return normaliseAppHeaders(h.entries()).filter((f) => !ENGINE_OWNED_RESPONSE.has(canonicalName(f.name)));
}


/** drachtio-server replaces `localhost` in these headers with its own host:port. */
export function replaceLocalhost(value: string, hostport: string): string {
  return value.replace(/@localhost(:\d+)?|sip:localhost(:\d+)?/gi, (m) => (m.startsWith('@') ? `@${hostport}` : `sip:${hostport}`));
}

export const LOCALHOST_HEADERS = ['from', 'to', 'contact', 'p-asserted-identity'];

/** Content-Type application/sdp when the body is SDP and the app gave none. */
export function ensureContentType(h: SipHeaders, body: Buffer): 'ok' | 'missing' {
  if (body.length === 0 || h.has('content-type')) return 'ok';
  if (body.subarray(0, 3).toString('latin1') === 'v=0') {
    h.set('Content-Type', 'application/sdp');
    return 'ok';
  }
  return 'missing';
}
