/**
 * What the engine answers itself, before an application sees a new request (RFC 3261 §8.2, in its
 * order): the method (405 with Allow, 501 for a method SIP does not define), the Request-URI (416
 * for a scheme other than sip/sips/tel, 400 for headers or a broken %-escape in it), the extensions the request requires
 * (420 with Unsupported), the body's content coding (415 with Accept-Encoding), and for INVITE an
 * Accept the answer's SDP could never satisfy (406). The application still decides on body types
 * (drachtio-server passes bodies through; the trunkwise app answers 415 to a non-SDP INVITE).
 */
import type { HeaderField, SipRequest } from '../../sip/message';
import { parseSipUri } from '../../sip/uri';
import type { CoreWire } from './context';

export interface Rejection {
  status: number;
  reason: string;
  headers: HeaderField[];
}

/** Methods SIP defines (RFC 3261 and its extensions); any other token is not implemented (501). */
const KNOWN_METHODS = [
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH',
] as const;

/** Extensions the engine implements: RFC 3262 reliable provisionals and RFC 4028 session timers. */
export const SUPPORTED_EXTENSIONS: readonly string[] = ['100rel', 'timer'];

const SCHEMES = new Set(['sip', 'sips', 'tel']);
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;

/**
 * Methods the connected applications serve, for Allow: every routed method, and with INVITE the
 * requests the engine handles for it (ACK, CANCEL) and the dialog's BYE.
 */
export function allowedMethods(wire: CoreWire): string[] {
  const routed = new Set(KNOWN_METHODS.filter((m) => wire.clientsFor(m.toLowerCase()).length > 0));
  if (routed.has('INVITE')) for (const m of ['ACK', 'CANCEL', 'BYE'] as const) routed.add(m);
  return KNOWN_METHODS.filter((m) => routed.has(m));
}

/**
 * A new request no application is routed for, while applications are connected: 405 with Allow for
 * a SIP method the edge does not serve, 501 for a method SIP does not define, 481 for one it serves
 * only inside a dialog (BYE without a To tag). Never 503, which would
 * tell the client to retry elsewhere (RFC 3261 §21.5.4). undefined when no application is connected
 * at all (then the engine is the one unavailable: 503).
 */
export function methodRejection(req: SipRequest, wire: CoreWire): Rejection | undefined {
  const allow = allowedMethods(wire);
  if (allow.length === 0) return undefined;
  // Served only inside a dialog (a BYE with no To tag): there is no such dialog (RFC 3261 §15.1.2).
  if (allow.includes(req.method)) return { status: 481, reason: 'Call/Transaction Does Not Exist', headers: [] };
  const headers = [{ name: 'Allow', value: allow.join(', ') }];
  if ((KNOWN_METHODS as readonly string[]).includes(req.method)) return { status: 405, reason: 'Method Not Allowed', headers };
  return { status: 501, reason: 'Not Implemented', headers };
}

/** The checks after the method, for a new request an application is routed for. */
export function requestRejection(req: SipRequest): Rejection | undefined {
  const uri = parseSipUri(req.uri);
  const scheme = req.uri.slice(0, Math.max(0, req.uri.indexOf(':'))).toLowerCase();
  if (!SCHEMES.has(scheme)) return { status: 416, reason: 'Unsupported URI Scheme', headers: [] };
  // RFC 3261 §25.1: `%` only as an escape of two hex digits (an app decoding `%zz` throws).
  if (!uri || BAD_ESCAPE.test(req.uri)) return { status: 400, reason: 'Bad Request (invalid Request-URI)', headers: [] };
  if (uri.headers !== undefined) return { status: 400, reason: 'Bad Request (headers are not allowed in a Request-URI)', headers: [] };

  const unsupported = unsupportedExtensions(req);
  if (unsupported.length) return { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: unsupported.join(', ') }] };

  const codings = req.headers.getAll('content-encoding').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  if (codings.length) {
    return { status: 415, reason: 'Unsupported Media Type', headers: [{ name: 'Accept-Encoding', value: 'identity' }] };
  }

  if (req.method === 'INVITE' && !acceptsSdp(req.headers.getAll('accept'))) {
    return { status: 406, reason: 'Not Acceptable', headers: [{ name: 'Accept', value: 'application/sdp' }] };
  }
  return undefined;
}

/** Option tags in Require or Proxy-Require the engine does not implement, each once, in order. */
function unsupportedExtensions(req: SipRequest): string[] {
  const tags = [...req.headers.getAll('require'), ...req.headers.getAll('proxy-require')].map((t) => t.trim()).filter(Boolean);
  return [...new Set(tags.filter((t) => !SUPPORTED_EXTENSIONS.includes(t.toLowerCase())))];
}

/**
 * Whether an INVITE's Accept lets the answer carry SDP: no Accept (or an empty one, which names no
 * preference) does; otherwise one media range must cover application/sdp with a q above 0.
 */
function acceptsSdp(accept: string[]): boolean {
  if (accept.length === 0) return true;
  return accept.some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => /^q\s*=/.test(p));
    if (q && Number(q.split('=')[1]) === 0) return false;
    return type === 'application/sdp' || type === 'application/*' || type === '*/*';
  });
}
