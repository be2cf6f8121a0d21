/**
 * Can trunkwise offer this INVITE's body to a carrier? Only SDP, unencoded (RFC 3261 §21.4.13: 415
 * lists what is accepted). An INVITE without a body (offer in the 200 / ACK) is fine. Pure.
 */
export type BodyCheck = { ok: true } | { ok: false; code: 'E_UNSUPPORTED_MEDIA_TYPE' | 'E_SDP_NOT_ACCEPTABLE'; detail: string };

/** RFC 4566 §5: a session description starts with v=0 and has o=, s=, t=; an offer needs a media line. */
function looksLikeSdp(body: string): boolean {
  return /^v=0\r?\n/.test(body) && /^o=/m.test(body) && /^s=/m.test(body) && /^t=/m.test(body) && /^m=/m.test(body);
}

export function checkInviteBody(contentType: string | undefined, contentEncoding: string | undefined, body: string | undefined): BodyCheck {
  if (!body || body.length === 0) return { ok: true };
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE', detail: `Content-Encoding ${encoding}` };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') return { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE', detail: `Content-Type ${type || '(none)'}` };
  // A damaged offer is the caller's problem: refused here (488), never offered to a carrier that
  // would reject it and be charged for it (found by the fuzzer: 500s after every carrier failed).
  if (!looksLikeSdp(body)) return { ok: false, code: 'E_SDP_NOT_ACCEPTABLE', detail: 'SDP offer without v=0, o=, s=, t= and m= lines' };
  return { ok: true };
}
