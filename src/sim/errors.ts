/** The simulator's error catalogue: each maps to an HTTP status for the control API. */
export type SimErrorCode = 'SIM_UNKNOWN_CARRIER' | 'SIM_BAD_PATCH' | 'SIM_BAD_SPEC' | 'SIM_BAD_JSON' | 'SIM_BODY_TOO_LARGE';

const HTTP_STATUS: Readonly<Record<SimErrorCode, number>> = {
  SIM_UNKNOWN_CARRIER: 404, SIM_BAD_PATCH: 400, SIM_BAD_SPEC: 400, SIM_BAD_JSON: 400, SIM_BODY_TOO_LARGE: 413,
};

export class SimError extends Error {
  readonly httpStatus: number;

  constructor(readonly code: SimErrorCode, message: string, readonly details: readonly string[] = []) {
    super(details.length ? `${message}: ${details.join('; ')}` : message);
    this.name = 'SimError';
    this.httpStatus = HTTP_STATUS[code];
  }
}
