/**
 * The requests an IVR call sends, built per RFC 3261: the INVITE (with an SDP offer), CANCEL and the
 * ACK of a non-2xx (both on the INVITE's branch, §9.1, §17.1.1.3), the ACK of a 2xx and BYE (new
 * branches, to the remote target with the route set, §13.2.2.4, §12.2.1.1).
 */
import { SipHeaders, type SipRequest } from '../../sip/message';

export const USER_AGENT = 'trunkwise-ivr';

/** What stays fixed for one call. */
export interface CallIdentity {
  callId: string;
  localTag: string;
  /** Request-URI of the INVITE. */
  requestUri: string;
  from: string;
  /** The INVITE's To (no tag). */
  to: string;
  contact: string;
  /** `SIP/2.0/UDP host:port` without parameters. */
  viaBase: string;
  inviteSeq: number;
}

/** The dialog, once a response carried a To-tag. */
export interface DialogState {
  /** The response's To (with the remote tag). */
  to: string;
  /** The remote Contact URI (Request-URI of in-dialog requests). */
  remoteTarget: string;
  /** Route headers: the 2xx's Record-Route, reversed (§12.1.2). */
  routeSet: string[];
}

const via = (id: CallIdentity, branch: string): string => `${id.viaBase};branch=${branch};rport`;

function request(method: string, uri: string, headers: [string, string][], body?: string): SipRequest {
  const h = new SipHeaders();
  for (const [n, v] of headers) h.append(n, v);
  if (body !== undefined) h.append('Content-Type', 'application/sdp');
  return { kind: 'request', method, uri, version: 'SIP/2.0', headers: h, body: Buffer.from(body ?? '', 'utf8') };
}

export function buildInvite(id: CallIdentity, branch: string, sdp: string): SipRequest {
  return request('INVITE', id.requestUri, [
    ['Via', via(id, branch)], ['Max-Forwards', '70'], ['From', `${id.from};tag=${id.localTag}`], ['To', id.to],
    ['Call-ID', id.callId], ['CSeq', `${id.inviteSeq} INVITE`], ['Contact', id.contact], ['User-Agent', USER_AGENT],
    ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'],
  ], sdp);
}

/** CANCEL (§9.1) or the ACK of a non-2xx (§17.1.1.3): the INVITE's Via branch and CSeq number. */
export function buildSameBranch(method: 'CANCEL' | 'ACK', id: CallIdentity, branch: string, to: string): SipRequest {
  return request(method, id.requestUri, [
    ['Via', via(id, branch)], ['Max-Forwards', '70'], ['From', `${id.from};tag=${id.localTag}`], ['To', to],
    ['Call-ID', id.callId], ['CSeq', `${id.inviteSeq} ${method}`], ['User-Agent', USER_AGENT],
  ]);
}

/** ACK of a 2xx (CSeq of the INVITE) or BYE (the next CSeq) inside the dialog. */
export function buildInDialog(method: 'ACK' | 'BYE', id: CallIdentity, dialog: DialogState, branch: string, seq: number): SipRequest {
  return request(method, dialog.remoteTarget, [
    ['Via', via(id, branch)], ['Max-Forwards', '70'], ...dialog.routeSet.map((r): [string, string] => ['Route', r]),
    ['From', `${id.from};tag=${id.localTag}`], ['To', dialog.to], ['Call-ID', id.callId], ['CSeq', `${seq} ${method}`],
    ['User-Agent', USER_AGENT],
  ]);
}

/** The IVR's SDP offer: PCMU and telephone-event on its RTP port. */
export function buildOffer(address: string, port: number, sessionId: number): string {
  return [
    'v=0', `o=${USER_AGENT} ${sessionId} 1 IN IP4 ${address}`, `s=${USER_AGENT}`, `c=IN IP4 ${address}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
    'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}
