/**
 * Filling in what drachtio-server fills in on requests an application sends (DRACHTIO-WIRE.md,
 * "App's requests"): Via with branch and rport, Max-Forwards, From tag, To, Call-ID, CSeq, Contact.
 */
import { SipHeaders, type SipRequest } from '../../sip/message';
import { generateBranch, generateCallId, generateTag, parseCSeq, parseNameAddr } from '../../sip/headers';
import type { LocalPoint } from '../transport/layer';
import type { Dialog } from '../dialog/dialog';
import { appHeadersForRequest, LOCALHOST_HEADERS, replaceLocalhost, type AppMessage } from './app-message';
import { contactFor, hostport } from './context';
import { bracketAddress } from './header-normalise';

/**
 * Max-Forwards for a request the app sends: its own value when given (a B2BUA passes incoming − 1 on,
 * which is what breaks routing loops), else 70. A value that is not 0–255 is refused, so the engine
 * never sends a request with a negative or garbage Max-Forwards (RFC 3261 §8.1.1.6, §20.22).
 */
export function maxForwardsFor(app: AppMessage): string {
  const v = app.headers.get('max-forwards');
  if (v === undefined) return '70';
  const t = v.trim();
  if (!/^\d{1,3}$/.test(t) || Number(t) > 255) throw new Error(`invalid Max-Forwards value "${v}": expected 0-255`);
  return String(Number(t));
}

export function viaFor(local: LocalPoint, branch: string = generateBranch()): string {
  return `SIP/2.0/${local.protocol.toUpperCase()} ${hostport(local)};branch=${branch};rport`;
}

function copyAppHeaders(out: SipHeaders, app: AppMessage, local: LocalPoint, owned: readonly string[]): void {
  const hp = hostport(local);
  for (const f of appHeadersForRequest(app.headers, owned)) {
    const v = LOCALHOST_HEADERS.includes(f.name.toLowerCase()) ? replaceLocalhost(f.value, hp) : f.value;
    out.append(f.name, v);
  }
}

/** A request outside any dialog. */
export function buildInitialRequest(app: AppMessage, method: string, uri: string, local: LocalPoint): SipRequest {
  const hp = hostport(local);
  const h = new SipHeaders();
  h.append('Via', viaFor(local));
  h.append('Max-Forwards', maxForwardsFor(app));
  const appFrom = app.headers.get('from');
  let from = appFrom ? bracketAddress(replaceLocalhost(appFrom, hp)) : contactFor(local);
  if (!parseNameAddr(from)?.tag) from += `;tag=${generateTag()}`;
  h.append('From', from);
  h.append('To', app.headers.get('to') ? bracketAddress(replaceLocalhost(app.headers.get('to')!, hp)) : `<${uri}>`);
  h.append('Call-ID', app.headers.get('call-id') ?? generateCallId());
  const cs = parseCSeq(app.headers.get('cseq') ?? '');
  h.append('CSeq', `${cs?.seq ?? Math.floor(Math.random() * 10_000) + 1} ${method}`);
  if ((method === 'INVITE' || method === 'SUBSCRIBE') && !app.headers.has('contact')) h.append('Contact', contactFor(local));
  copyAppHeaders(h, app, local, ['max-forwards', 'from', 'to', 'call-id', 'cseq']);
  return { kind: 'request', method, uri, version: 'SIP/2.0', headers: h, body: app.body };
}

/** A request inside a dialog (RFC 3261 §12.2.1.1): the dialog decides URI, tags, CSeq and route. */
export function buildInDialogRequest(app: AppMessage, method: string, appUri: string, d: Dialog, local: LocalPoint, seq: number): SipRequest {
  const h = new SipHeaders();
  h.append('Via', viaFor(local));
  h.append('Max-Forwards', maxForwardsFor(app));
  h.append('From', `${d.localUri};tag=${d.localTag}`);
  h.append('To', d.remoteTag ? `${d.remoteUri};tag=${d.remoteTag}` : d.remoteUri);
  h.append('Call-ID', d.callId);
  h.append('CSeq', `${seq} ${method}`);
  for (const r of d.routeSet) h.append('Route', r);
  if ((method === 'INVITE' || method === 'UPDATE' || method === 'SUBSCRIBE') && !app.headers.has('contact')) h.append('Contact', d.localContact);
  copyAppHeaders(h, app, local, ['max-forwards', 'from', 'to', 'call-id', 'cseq', 'route']);
  const uri = appUri === 'sip:placeholder' || !appUri ? d.remoteTarget : appUri;
  return { kind: 'request', method, uri, version: 'SIP/2.0', headers: h, body: app.body };
}

/** CANCEL for an INVITE we sent (RFC 3261 §9.1): same branch, Call-ID, From, To, CSeq number, Route. */
export function buildCancel(invite: SipRequest, extra?: AppMessage): SipRequest {
  const h = new SipHeaders();
  h.append('Via', invite.headers.getAll('via')[0] ?? '');
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from') ?? '');
  h.append('To', invite.headers.get('to') ?? '');
  h.append('Call-ID', invite.headers.get('call-id') ?? '');
  h.append('CSeq', `${parseCSeq(invite.headers.get('cseq') ?? '')?.seq ?? 1} CANCEL`);
  for (const r of invite.headers.getAll('route')) h.append('Route', r);
  if (extra) {
    for (const name of ['reason', 'x-reason']) {
      const v = extra.headers.get(name);
      if (v) h.append(name === 'reason' ? 'Reason' : 'X-Reason', v);
    }
  }
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

/** ACK for a 2xx (RFC 3261 §13.2.2.4): a new transaction with the INVITE's CSeq number. */
export function buildAck2xx(d: Dialog, local: LocalPoint, body: Buffer, extra?: AppMessage): SipRequest {
  const app: AppMessage = extra ?? { start: { kind: 'request', method: 'ACK', uri: 'sip:placeholder' }, headers: new SipHeaders(), body };
  const req = buildInDialogRequest(app, 'ACK', 'sip:placeholder', d, local, d.lastInviteSeq);
  req.headers.remove('contact');
  return req;
}

/** BYE the engine sends by itself (ACK timeout, CANCEL/200 race). */
export function buildEngineBye(d: Dialog, local: LocalPoint, reason: string): SipRequest {
  const app: AppMessage = { start: { kind: 'request', method: 'BYE', uri: 'sip:placeholder' }, headers: new SipHeaders([{ name: 'Reason', value: reason }]), body: Buffer.alloc(0) };
  d.localSeq += 1;
  return buildInDialogRequest(app, 'BYE', 'sip:placeholder', d, local, d.localSeq);
}
