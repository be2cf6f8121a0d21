/**
 * trunkwise's answer to an out-of-dialog OPTIONS (RFC 3261 §11.2): 200 with what it can do — the
 * methods it serves (Allow), the bodies it accepts (Accept: only SDP, see body-check.ts) and the
 * extensions the engine implements on both legs (100rel, session timers). IVR platforms and SBCs
 * use this answer as a keep-alive and to learn capabilities.
 */
import type Srf from 'drachtio-srf';

export const CAPABILITIES = {
  Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE',
  Accept: 'application/sdp',
  'Accept-Encoding': 'identity',
  'Accept-Language': 'en',
  Supported: '100rel, timer',
} as const;

export function answerOptions(_req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  res.send(200, { headers: { ...CAPABILITIES } });
}
