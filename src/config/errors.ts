/**
 * The error catalogue (STYLE.md 4): every failure trunkwise reports to a caller or an operator has a
 * named code, a message, and the SIP response it maps to. The README's error table is this table.
 * The app sends these through src/app/reply.ts, so what is written here is what goes on the wire
 * (test/integration/call-error-catalogue.test.ts drives each code through the running app).
 *
 * Carrier failures are not here: when every attempt fails the caller gets the carriers' last
 * meaningful failure (src/routing/crankback.ts selectFinalFailure), not a code of ours.
 */
export interface ErrorSpec {
  /** SIP status sent to the caller (for E_CONFIG_INVALID: never sent on a call; see `when`). */
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  /** Seconds for a Retry-After header, when the caller should come back soon. */
  readonly retryAfterS?: number;
  /** Other headers the response carries (e.g. Accept on a 415). */
  readonly headers?: Readonly<Record<string, string>>;
  /** When it is raised. */
  readonly when: string;
}

export const ERRORS = {
  E_SOURCE_FORBIDDEN: {
    status: 403, reason: 'Forbidden', message: 'source is not allowed to place calls',
    when: 'admission: the source address / IVR id is not in the allowlist',
  },
  E_ALL_CARRIERS_DOWN: {
    status: 503, reason: 'Service Unavailable', message: 'no carrier in the route can take the call', retryAfterS: 5,
    when: 'routing: every carrier of the route is drained or disabled (down carriers are still tried as a last resort)',
  },
  E_AUTH_REQUIRED: {
    status: 401, reason: 'Unauthorized', message: 'IVR digest authentication required',
    when: 'admission: digest authentication is on and the INVITE has no valid Authorization (the response carries WWW-Authenticate)',
  },
  E_CPS_LIMIT: {
    status: 503, reason: 'Service Unavailable', message: 'call rate limit reached', retryAfterS: 1,
    when: "admission: trunkwise's own calls-per-second limit (carrier caps never reject: capped carriers go last)",
  },
  E_DRAINING: {
    status: 503, reason: 'Service Unavailable', message: 'trunkwise is shutting down', retryAfterS: 5,
    when: 'admission: SIGTERM received, existing calls are draining; the IVR should use another edge',
  },
  E_TOO_MANY_HOPS: {
    status: 483, reason: 'Too Many Hops', message: 'Max-Forwards reached 0',
    when: 'admission: the INVITE arrived with Max-Forwards 0 (a routing loop, e.g. a carrier routing back to trunkwise); the carrier leg always gets the caller\'s value − 1',
  },
  E_NO_CONTACT: {
    status: 400, reason: 'Missing Contact Header', message: 'the INVITE has no Contact',
    when: 'admission: an INVITE without Contact (RFC 3261 §8.1.1.8; RFC 2543 UAs may omit it). The engine accepts it, as drachtio-server does, but drachtio-srf cannot build the caller\'s dialog without one, so it is refused before any carrier is called',
  },
  E_SDP_NOT_ACCEPTABLE: {
    status: 488, reason: 'Not Acceptable Here', message: 'the SDP offer is not a session description',
    when: 'admission: an INVITE whose application/sdp body lacks the v=0, o=, s=, t= or m= lines; answered before any carrier attempt',
  },
  E_UNSUPPORTED_MEDIA_TYPE: {
    status: 415, reason: 'Unsupported Media Type', message: 'the INVITE body is not SDP', headers: { Accept: 'application/sdp', 'Accept-Encoding': 'identity' },
    when: 'admission: the INVITE carries a body that is not application/sdp, or is content-encoded; answered before any carrier attempt',
  },
  E_DEADLINE: {
    status: 408, reason: 'Request Timeout', message: 'no carrier answered before the setup deadline',
    when: 'call: the route setupDeadlineMs passed with no real carrier response to pass back',
  },
  E_CALLER_CANCELLED: {
    status: 487, reason: 'Request Terminated', message: 'caller cancelled',
    when: 'call: CANCEL from the caller; the current attempt is cancelled and no other is started',
  },
  E_CONFIG_INVALID: {
    status: 500, reason: 'Server Internal Error', message: 'configuration invalid',
    when: 'start-up refuses to run / a reload keeps the previous config; never sent on a call',
  },
  E_INTERNAL: {
    status: 500, reason: 'Server Internal Error', message: 'internal error',
    when: 'call: an unexpected exception in the pipeline (a bug); logged with the call id',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries its catalogue code, for throwing through the pipeline to the error handler. */
export class TrunkwiseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, detail?: string) {
    const spec: ErrorSpec = ERRORS[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message);
    this.name = 'TrunkwiseError';
    this.code = code;
    this.status = spec.status;
    this.retryAfterS = spec.retryAfterS;
  }
}

/** The SIP response for a code: status, reason phrase and headers (Retry-After when the catalogue says). */
export function sipResponseFor(code: ErrorCode): { status: number; reason: string; headers: Record<string, string> } {
  const spec: ErrorSpec = ERRORS[code];
  return { status: spec.status, reason: spec.reason, headers: { ...spec.headers, ...(spec.retryAfterS !== undefined && { 'Retry-After': String(spec.retryAfterS) }) } };
}
