/** Responses the simulated carrier sends: the RFC 3261 §8.2.6 copy plus our own headers. */
import { generateTag } from '../sip/headers';
import type { HeaderField, SipRequest, SipResponse } from '../sip/message';
import { buildResponse } from '../sip/response-builder';

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO';
export const SERVER = 'trunkwise-sim';

export interface ReplyOptions {
  /** Our To-tag; for out-of-dialog non-INVITE responses a fresh one is generated when undefined. */
  toTag?: string;
  contact?: string;
  sdp?: string;
  /** Add Allow/Accept (OPTIONS, 405, 501). */
  capabilities?: boolean;
  extra?: HeaderField[];
}

export function simResponse(req: SipRequest, status: number, opts: ReplyOptions = {}): SipResponse {
  const headers: HeaderField[] = [{ name: 'Server', value: SERVER }];
  if (opts.contact) headers.push({ name: 'Contact', value: opts.contact });
  if (opts.capabilities) {
    headers.push({ name: 'Allow', value: ALLOW }, { name: 'Accept', value: 'application/sdp' }, { name: 'Accept-Language', value: 'en' });
  }
  headers.push(...(opts.extra ?? []));
  if (opts.sdp !== undefined) headers.push({ name: 'Content-Type', value: 'application/sdp' });
  // §8.2.6.2: a UAS adds a To-tag to every response except (optionally) 100 Trying.
  const toTag = status === 100 ? undefined : (opts.toTag ?? generateTag());
  return buildResponse(req, status, undefined, { toTag, headers, ...(opts.sdp !== undefined && { body: Buffer.from(opts.sdp, 'utf8') }) });
}
