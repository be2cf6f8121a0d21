/**
 * The rtpengine adapter's error catalogue (STYLE.md 4): a named code, its message and the SIP status
 * a call would answer with. The call layer treats any of them as "anchoring unavailable" and falls
 * back to direct media; the code and detail go to the log.
 */
export const RTPENGINE_ERRORS = {
  E_RTPENGINE_TIMEOUT: { status: 503, message: 'rtpengine did not answer in time' },
  E_RTPENGINE_UNREACHABLE: { status: 503, message: 'rtpengine timed out recently; not trying again yet' },
  E_RTPENGINE_REFUSED: { status: 488, message: 'rtpengine refused the request' },
  E_RTPENGINE_REPLY: { status: 500, message: 'rtpengine sent a reply trunkwise cannot use' },
  E_RTPENGINE_CLOSED: { status: 500, message: 'the rtpengine client or session is closed' },
  E_RTPENGINE_START: { status: 500, message: 'the rtpengine process did not start' },
} as const;

export type RtpengineErrorCode = keyof typeof RTPENGINE_ERRORS;

export class RtpengineError extends Error {
  readonly code: RtpengineErrorCode;
  readonly status: number;
  readonly detail: string;

  constructor(code: RtpengineErrorCode, detail: string) {
    super(`${RTPENGINE_ERRORS[code].message}: ${detail}`);
    this.name = 'RtpengineError';
    this.code = code;
    this.status = RTPENGINE_ERRORS[code].status;
    this.detail = detail;
  }
}
