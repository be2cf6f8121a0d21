/** Responses built from a request (RFC 3261 §8.2.6): Via, From, To (+tag), Call-ID and CSeq copied. */
import { SipHeaders, type HeaderField, type SipRequest, type SipResponse } from './message';
import { parseNameAddr } from './headers';
import { reasonFor } from './reason-phrases';

export interface ResponseOptions {
  toTag?: string | undefined;
  headers?: HeaderField[];
  body?: Buffer;
}

export function buildResponse(req: SipRequest, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
  return fromHeaders(req.headers, status, reason, opts);
}

/** For a 400 when only part of the request could be parsed: copies whichever of the five headers exist. */
export function buildResponseFromPartial(partial: { headers: SipHeaders }, status: number, reason?: string): SipResponse {
  return fromHeaders(partial.headers, status, reason, {});
}

function fromHeaders(src: SipHeaders, status: number, reason: string | undefined, opts: ResponseOptions): SipResponse {
  const h = new SipHeaders();
  for (const v of src.getAll('via')) h.append('Via', v);
  const from = src.get('from');
  if (from !== undefined) h.append('From', from);
  const to = src.get('to');
  if (to !== undefined) {
    const hasTag = parseNameAddr(to)?.tag !== undefined;
    h.append('To', !hasTag && opts.toTag ? `${to};tag=${opts.toTag}` : to);
  }
  const callId = src.get('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = src.get('cseq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  for (const f of opts.headers ?? []) h.append(f.name, f.value);
  return { kind: 'response', status, reason: reason ?? reasonFor(status), version: 'SIP/2.0', headers: h, body: opts.body ?? Buffer.alloc(0) };
}
