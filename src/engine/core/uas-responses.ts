/**
 * UAS side helpers: the response an application wrote, completed by drachtio-server's rules, and the
 * UAS dialog it creates or ends (RFC 3261 §12.1.1, §13.3.1.4).
 */
import type { SipHeaders, SipRequest, SipResponse, Target } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { getCSeq, getCallId, getToTag, parseNameAddr, stripTag } from '../../sip/headers';
import type { LocalPoint } from '../transport/layer';
import type { WireClient } from '../wire/server';
import { createDialog, dialogId, type Dialog, type DialogStore } from '../dialog/dialog';
import { appHeadersForResponse, ensureContentType, LOCALHOST_HEADERS, replaceLocalhost } from './app-message';
import { contactFor, hostport } from './context';

/** What of a server transaction the response rules need. */
export interface UasExchange {
  request: SipRequest;
  local: LocalPoint;
  replyTo: Target;
  client: WireClient | undefined;
  wireTxnId: string;
  /** Our To tag (generated, or the app's). */
  toTag: string;
  dialog: Dialog | undefined;
}

/**
 * drachtio-server's rules for a response the application wrote (DRACHTIO-WIRE.md): Via/From/To/
 * Call-ID/CSeq from the request, the app's To tag honoured, headers normalised, Record-Route copied
 * into dialog-creating responses, Contact added to 2xx and reliable 1xx of INVITE, Content-Type
 * application/sdp for an SDP body. Undefined when a body has no type the engine can infer.
 */
export function buildAppResponse(e: UasExchange, status: number, reason: string, appHeaders: SipHeaders, body: Buffer, reliable: boolean): SipResponse | undefined {
  const appTo = appHeaders.get('to');
  const appToTag = appTo ? parseNameAddr(appTo)?.tag : undefined;
  if (appToTag && !getToTag(e.request)) e.toTag = appToTag;
  const res = buildResponse(e.request, status, reason, { toTag: status > 100 ? e.toTag : undefined, body });
  const hp = hostport(e.local);
  for (const f of appHeadersForResponse(appHeaders)) {
    const value = LOCALHOST_HEADERS.includes(f.name.toLowerCase()) ? replaceLocalhost(f.value, hp) : f.value;
    res.headers.append(f.name, value);
  }
  const isInvite = e.request.method === 'INVITE';
  const dialogCreating = isInvite && status > 100 && status < 300;
  if (dialogCreating && !getToTag(e.request)) {
    for (const rr of e.request.headers.getAll('record-route')) res.headers.append('Record-Route', rr);
  }
  if ((isInvite && status >= 200 && status < 300) || (isInvite && reliable)) {
    if (!res.headers.has('contact')) res.headers.append('Contact', e.dialog?.localContact ?? contactFor(e.local));
  }
  if (ensureContentType(res.headers, body) === 'missing') return undefined;
  return res;
}

/** The dialog id of the dialog an initial INVITE creates (also reported on its non-2xx echoes). */
export function uasDialogId(req: SipRequest): string {
  return dialogId(getCallId(req) ?? '', parseNameAddr(req.headers.get('from') ?? '')?.tag ?? '');
}

/** A new UAS dialog for a 1xx (early) or 2xx (confirmed) to an initial INVITE. */
export function newUasDialog(e: UasExchange, res: SipResponse): Dialog | undefined {
  const req = e.request;
  const callId = getCallId(req) ?? '';
  const from = parseNameAddr(req.headers.get('from') ?? '');
  const to = parseNameAddr(req.headers.get('to') ?? '');
  const contact = parseNameAddr(req.headers.get('contact') ?? '');
  if (!from || !to) return undefined;
  // RFC 3261 §12.1.1: a From without a tag (RFC 2543) gives a null remote tag — the dialog is still
  // held, under the id the app was given (uasDialogId), or its BYE would get 481 (findings #8).
  const remoteTag = from.tag ?? '';
  return createDialog({
    id: dialogId(callId, remoteTag), role: 'uas', callId, localTag: e.toTag, remoteTag,
    localUri: stripTag(req.headers.get('to') ?? ''), remoteUri: stripTag(req.headers.get('from') ?? ''),
    localSeq: Math.floor(Math.random() * 10_000) + 1, remoteSeq: getCSeq(req)?.seq,
    remoteTarget: contact?.uri ?? to.uri, routeSet: req.headers.getAll('record-route'),
    localContact: res.headers.get('contact') ?? contactFor(e.local), protocol: e.replyTo.protocol,
    client: e.client, state: res.status >= 200 ? 'confirmed' : 'early', inviteInProgressIn: true,
    initialInviteTxn: e.wireTxnId,
  });
}

/** The SDP (or other session description) we just sent: what a session refresh re-offers. */
export function rememberLocalSdp(d: Dialog, msg: { headers: SipHeaders; body: Buffer }): void {
  const type = msg.headers.get('content-type') ?? '';
  if (msg.body.length > 0 && /^application\/sdp/i.test(type)) d.localSdp = { body: msg.body, contentType: type };
}

/** An early dialog ends with its INVITE's non-2xx final (a confirmed one stays). */
export function endEarlyDialog(dialogs: DialogStore, d: Dialog): void {
  d.initialInviteTxn = undefined;
  if (d.state === 'early') dialogs.remove(d);
}

/** Create the UAS dialog on a 1xx/2xx to an initial INVITE; end it on a non-2xx; re-INVITE bookkeeping. */
export function trackUasDialog(dialogs: DialogStore, e: UasExchange, res: SipResponse): Dialog | undefined {
  const req = e.request;
  if (req.method !== 'INVITE') return e.dialog;
  const d = e.dialog;
  if (d && getToTag(req)) {
    // re-INVITE inside the dialog
    if (res.status >= 200) d.inviteInProgressIn = false;
    if (res.status >= 200 && res.status < 300) d.awaitingAckTxn = e.wireTxnId;
    return d;
  }
  if (d) {
    if (res.status >= 300) {
      endEarlyDialog(dialogs, d);
      return undefined;
    }
    if (res.status >= 200) {
      // initialInviteTxn stays: a PRACK may still be due for a reliable provisional (and may release this 2xx).
      d.state = 'confirmed';
      d.inviteInProgressIn = false;
      d.awaitingAckTxn = e.wireTxnId;
    }
    return d;
  }
  if (res.status <= 100 || res.status >= 300) return undefined;
  const created = newUasDialog(e, res);
  if (!created) return undefined;
  dialogs.add(created);
  e.dialog = created;
  if (res.status >= 200) {
    created.inviteInProgressIn = false;
    created.awaitingAckTxn = e.wireTxnId;
  }
  return created;
}
