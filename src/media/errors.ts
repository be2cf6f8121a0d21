/**
 * The media error catalogue (STYLE.md 4): every failure src/media reports has a named code, a
 * message and the SIP status a call should answer with. Errors are returned as values (`Result`)
 * from SDP handling and setRemote, so a bad SDP never escapes as a throw into the call; only
 * `MediaRelay.open` rejects (with a MediaError) when no ports are left.
 */
export const MEDIA_ERRORS = {
  E_SDP_INVALID: { status: 488, reason: 'Not Acceptable Here', message: 'the SDP could not be parsed' },
  E_SDP_NO_AUDIO: { status: 488, reason: 'Not Acceptable Here', message: 'the SDP has no audio stream' },
  E_MEDIA_REMOTE_INVALID: { status: 488, reason: 'Not Acceptable Here', message: 'the media address or port cannot be used' },
  E_MEDIA_PORTS_EXHAUSTED: { status: 503, reason: 'Service Unavailable', message: 'no free RTP ports left in the relay range' },
  E_MEDIA_CLOSED: { status: 500, reason: 'Server Internal Error', message: 'the relay session or relay is closed' },
  E_MEDIA_CONFIG: { status: 500, reason: 'Server Internal Error', message: 'the media relay options are invalid' },
} as const;

export type MediaErrorCode = keyof typeof MEDIA_ERRORS;

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  /** SIP status the call should answer with. */
  readonly status: number;
  /** What exactly was wrong (the line, the value). */
  readonly detail: string;

  constructor(code: MediaErrorCode, detail: string) {
    super(`${MEDIA_ERRORS[code].message}: ${detail}`);
    this.name = 'MediaError';
    this.code = code;
    this.status = MEDIA_ERRORS[code].status;
    this.detail = detail;
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: MediaError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(code: MediaErrorCode, detail: string): Result<T> => ({ ok: false, error: new MediaError(code, detail) });
