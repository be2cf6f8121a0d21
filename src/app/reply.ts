/** Answer a request with a catalogue error (src/config/errors.ts): status, reason and headers as catalogued. */
import type Srf from 'drachtio-srf';
import { sipResponseFor, type ErrorCode } from '../config/errors';

export function sendError(res: Srf.SrfResponse, code: ErrorCode, headers: Record<string, string> = {}): void {
  if (res.finalResponseSent) return;
  const r = sipResponseFor(code);
  res.send(r.status, r.reason, { headers: { ...r.headers, ...headers } });
}
