/**
 * Can trunkwise offer this INVITE's body to a carrier? Only SDP, unencoded (RFC 3261 §21.4.13: 415
 * lists what is accepted). An INVITE without a body (offer in the 200 / ACK) is fine. Pure.
 */
export type BodyCheck = { ok: true } | { ok: false; code: 'E_UNSUPPORTED_MEDIA_TYPE'; detail: string };

export function checkInviteBody(contentType: string | undefined, contentEncoding: string | undefined, body: string | undefined): BodyCheck {
  if (!body || body.length === 0) return { ok: true };
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE', detail: `Content-Encoding ${encoding}` };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') return { ok: false, code: 'E_UNSUPPORTED_MEDIA_TYPE', detail: `Content-Type ${type || '(none)'}` };
  return { ok: true };
}
