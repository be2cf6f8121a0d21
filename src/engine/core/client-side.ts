/**
 * The engine core, client side: requests the application sends (new, in-dialog, CANCEL, ACK) and the
 * responses that come back from the network. Timeouts and transport failures reach the application
 * as ordinary 408 / 503 responses, which is what drives carrier failover in srf.createUAC/createB2BUA.
 */
import { randomUUID } from 'node:crypto';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { getBranch, getCSeq, getCallId, getFromTag, getToTag, parseNameAddr, stripTag } from '../../sip/headers';
import type { ClientTransaction } from '../transaction/types';
import { clientKey } from '../transaction/keys';
import type { InboundMessage, LocalPoint } from '../transport/layer';
import type { WireClient } from '../wire/server';
import { requestSentEcho, sipNok, sipToApp } from '../wire/protocol';
import { dialogId, type Dialog } from '../dialog/dialog';
import { ensureContentType, parseAppMessage, type AppMessage } from './app-message';
import { encode, metaFor, safeSend, type CoreContext } from './context';
import { buildAck2xx, buildCancel, buildEngineBye, buildInDialogRequest, buildInitialRequest } from './request-builder';
import { resolveTarget, uriTarget } from './targets';
import { createClientTxn } from './txn-factory';

interface ClientEntry {
  wireTxnId: string;
  key: string;
  txn: ClientTransaction;
  request: SipRequest;
  target: Target;
  local: LocalPoint;
  client: WireClient | undefined;
  /** In-dialog request: its dialog. Initial INVITE: the dialog once a tagged 1xx/2xx created it. */
  dialog: Dialog | undefined;
  /** Initial INVITE: the id its dialog will have. */
  inviteDialogId: string | undefined;
  provisional: boolean;
  /** CANCEL asked for before any provisional: sent when one arrives (RFC 3261 §9.1). */
  pendingCancel: SipRequest | undefined;
  cancelled: boolean;
  answeredTag: string | undefined;
  finalSeen: boolean;
}

const FAILED_INVITE_MEMORY_MS = 32_000;

export class ClientSide {
  private readonly byKey = new Map<string, ClientEntry>();
  private readonly byWireId = new Map<string, ClientEntry>();
  /** Dialog ids of INVITEs that ended non-2xx: the app's ack() for them gets NOK. */
  private readonly failedInvites = new Set<string>();

  constructor(private readonly ctx: CoreContext) {}

  get pendingCount(): number {
    return this.byKey.size;
  }

  requestFromApp(client: WireClient, msgId: string, txnId: string, dlgId: string, routeUri: string | undefined, sip: string): void {
    const app = parseAppMessage(sip);
    if (!app || app.start.kind !== 'request') {
      client.send(sipNok(msgId, 'invalid request'));
      return;
    }
    const { method, uri } = app.start;
    if (dlgId) return void this.inDialog(client, msgId, dlgId, method, uri, app).catch((e: Error) => client.send(sipNok(msgId, e.message)));
    if (txnId && method === 'CANCEL') return this.cancel(client, msgId, txnId, app);
    const callId = app.headers.get('call-id');
    const existing = callId ? this.ctx.dialogs.findByCallId(callId) : undefined;
    if (existing && method !== 'INVITE') {
      return void this.inDialog(client, msgId, existing.id, method, uri, app).catch((e: Error) => client.send(sipNok(msgId, e.message)));
    }
    void this.initial(client, msgId, method, uri, routeUri, app).catch((e: Error) => client.send(sipNok(msgId, e.message)));
  }

  onResponse(m: InboundMessage): void {
    const res = m.message as SipResponse;
    const entry = this.byKey.get(clientKey(getBranch(res) ?? '', getCSeq(res)?.method ?? ''));
    if (entry) {
      entry.txn.receiveResponse(res);
      return;
    }
    // A 2xx retransmitted after the INVITE transaction ended: re-send our ACK (RFC 3261 §13.2.2.4).
    if (getCSeq(res)?.method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const d = this.ctx.dialogs.findForResponse(getCallId(res) ?? '', getFromTag(res) ?? '', getToTag(res) ?? '');
      if (d?.lastAck) {
        this.ctx.transport.send(d.lastAck.ack, d.lastAck.target);
        return;
      }
    }
    this.ctx.logger.debug({ status: res.status, callId: getCallId(res) }, 'stray response dropped');
  }

  /** BYE sent by the engine itself; the application is told with an unsolicited BYE. */
  async engineBye(d: Dialog, reason: string): Promise<void> {
    this.ctx.dialogs.remove(d);
    const local = this.ctx.transport.localFor(d.protocol);
    if (!local) return;
    const bye = buildEngineBye(d, local, reason);
    const target = await this.dialogTarget(d);
    this.start(bye, target, local, undefined, undefined, undefined);
    const { text, bytes } = encode(bye);
    safeSend(d.client, sipToApp(metaFor('application', target, bytes), 'unsolicited', d.id, text));
  }

  private async initial(client: WireClient, msgId: string, method: string, uri: string, routeUri: string | undefined, app: AppMessage): Promise<void> {
    const ut = uriTarget(routeUri ?? uri);
    if (!ut) throw new Error(`invalid request-uri: ${routeUri ?? uri}`);
    const local = this.ctx.transport.localFor(ut.protocol);
    if (!local) throw new Error('requested protocol/transport not available');
    if (ensureContentType(app.headers, app.body) === 'missing') throw new Error('missing content-type');
    const target = await resolveTarget(ut);
    if (this.ctx.transport.listeners().some((l) => l.address === target.address && l.port === target.port && l.protocol === target.protocol)) {
      throw new Error('can not send request to myself');
    }
    const req = buildInitialRequest(app, method, uri, local);
    const fromTag = parseNameAddr(req.headers.get('from') ?? '')?.tag ?? '';
    const dlg = method === 'INVITE' ? dialogId(req.headers.get('call-id') ?? '', fromTag) : undefined;
    const entry = this.start(req, target, local, client, undefined, dlg);
    const { text, bytes } = encode(req);
    client.send(requestSentEcho(msgId, metaFor('application', target, bytes), entry.wireTxnId, text));
    if (method === 'INVITE') this.ctx.cdr.attempt('application', text);
  }

  private async inDialog(client: WireClient, msgId: string, dlgId: string, method: string, uri: string, app: AppMessage): Promise<void> {
    const d = this.ctx.dialogs.get(dlgId);
    if (method === 'ACK' && (this.failedInvites.delete(dlgId) || (d && d.lastInviteStatus >= 300))) {
      if (d && d.state === 'early') this.ctx.dialogs.remove(d);
      throw new Error('ACK for non-success responses is automatically generated by the stack');
    }
    if (!d) throw new Error(`unable to find dialog for dialog id ${dlgId}`);
    if (method === 'PRACK') throw new Error('reliable provisional responses (PRACK) are not supported by the trunkwise engine');
    const local = this.ctx.transport.localFor(d.protocol);
    if (!local) throw new Error('requested protocol/transport not available');
    if (ensureContentType(app.headers, app.body) === 'missing') throw new Error('missing content-type');
    const target = await this.dialogTarget(d);
    if (method === 'ACK') {
      const ack = buildAck2xx(d, local, app.body, app);
      this.ctx.transport.send(ack, target);
      d.lastAck = { ack, target };
      const { text, bytes } = encode(ack);
      client.send(requestSentEcho(msgId, metaFor('application', target, bytes), randomUUID(), text));
      return;
    }
    d.localSeq += 1;
    const req = buildInDialogRequest(app, method, uri, d, local, d.localSeq);
    if (method === 'INVITE') d.lastInviteSeq = d.localSeq;
    const entry = this.start(req, target, local, client, d, undefined);
    const { text, bytes } = encode(req);
    client.send(requestSentEcho(msgId, metaFor('application', target, bytes), entry.wireTxnId, text));
    if (method === 'BYE') this.ctx.cdr.stop('application', 'normal-release', text);
  }

  private cancel(client: WireClient, msgId: string, txnId: string, app: AppMessage): void {
    const entry = this.byWireId.get(txnId);
    if (!entry || entry.request.method !== 'INVITE' || entry.finalSeen) {
      client.send(sipNok(msgId, 'unknown transaction or final response already received'));
      return;
    }
    entry.cancelled = true;
    const cancel = buildCancel(entry.request, app);
    if (entry.provisional) this.start(cancel, entry.target, entry.local, undefined, undefined, undefined);
    else entry.pendingCancel = cancel;
    const { text, bytes } = encode(cancel);
    client.send(requestSentEcho(msgId, metaFor('application', entry.target, bytes), randomUUID(), text));
  }

  private start(req: SipRequest, target: Target, local: LocalPoint, client: WireClient | undefined, dialog: Dialog | undefined, inviteDialogId: string | undefined): ClientEntry {
    const wireTxnId = randomUUID();
    const key = clientKey(getBranch(req) ?? '', req.method);
    const entry = {
      wireTxnId, key, request: req, target, local, client, dialog, inviteDialogId,
      provisional: false, pendingCancel: undefined, cancelled: false, answeredTag: undefined, finalSeen: false,
    } as unknown as ClientEntry;
    entry.txn = createClientTxn(this.ctx, req, target, {
      onResponse: (res) => this.handleResponse(entry, res),
      onFailure: (reason) => this.handleResponse(entry, synthesize(req, reason === 'timeout' ? 408 : 503)),
      onTerminated: () => {
        if (this.byKey.get(key) === entry) this.byKey.delete(key);
        this.byWireId.delete(wireTxnId);
      },
    });
    this.byKey.set(key, entry);
    this.byWireId.set(wireTxnId, entry);
    return entry;
  }

  private handleResponse(e: ClientEntry, res: SipResponse): void {
    const method = e.request.method;
    if (method === 'CANCEL') return; // sofia never passes the 200 to CANCEL up; neither do we
    if (e.inviteDialogId) return this.inviteResponse(e, res);
    const d = e.dialog;
    if (res.status >= 200) {
      if (e.finalSeen) {
        // 2xx retransmitted for a re-INVITE (transaction in Accepted): re-send our ACK, do not pass up.
        if (d?.lastAck && method === 'INVITE' && res.status < 300) this.ctx.transport.send(d.lastAck.ack, d.lastAck.target);
        return;
      }
      e.finalSeen = true;
      if (d && method === 'INVITE') {
        d.lastInviteStatus = res.status;
        const c = parseNameAddr(res.headers.get('contact') ?? '');
        if (c && res.status < 300) d.remoteTarget = c.uri;
      }
      if (d && method === 'BYE') this.ctx.dialogs.remove(d);
    }
    this.toApp(e, res, d?.id ?? '');
  }

  /** Responses to an initial INVITE: early/confirmed dialog, forks, CANCEL/200 race, failures. */
  private inviteResponse(e: ClientEntry, res: SipResponse): void {
    const id = e.inviteDialogId!;
    const tag = getToTag(res);
    if (res.status < 200) {
      e.provisional = true;
      if (e.pendingCancel) {
        this.start(e.pendingCancel, e.target, e.local, undefined, undefined, undefined);
        e.pendingCancel = undefined;
      }
      if (tag && res.status > 100) this.upsertDialog(e, res, tag, 'early');
      return this.toApp(e, res, id);
    }
    if (res.status < 300) {
      if (e.answeredTag !== undefined) {
        if (tag === e.answeredTag) {
          const d = this.ctx.dialogs.get(id);
          if (d?.lastAck) this.ctx.transport.send(d.lastAck.ack, d.lastAck.target);
          return;
        }
        return this.killFork(e, res); // a second fork answered: ACK and BYE it
      }
      e.answeredTag = tag ?? '';
      e.finalSeen = true;
      const d = this.upsertDialog(e, res, tag ?? '', 'confirmed');
      d.lastInviteStatus = res.status;
      const { text } = encode(res);
      this.ctx.cdr.start('network', 'uac', text);
      this.toApp(e, res, id);
      if (e.cancelled) {
        // CANCEL crossed the 200: ACK, then BYE, and the app learns of it as an unsolicited BYE.
        this.ctx.logger.info({ callId: d.callId }, 'ACK/BYE race: 200 OK to an INVITE we had cancelled');
        const ack = buildAck2xx(d, e.local, Buffer.alloc(0));
        this.ctx.transport.send(ack, e.target);
        d.lastAck = { ack, target: e.target };
        void this.engineBye(d, 'SIP;cause=487;text="CANCEL crossed 200 OK"');
      }
      return;
    }
    if (e.finalSeen) return;
    e.finalSeen = true;
    const d = this.ctx.dialogs.get(id);
    if (d) this.ctx.dialogs.remove(d);
    this.failedInvites.add(id);
    this.ctx.clock.setTimer(FAILED_INVITE_MEMORY_MS, () => this.failedInvites.delete(id));
    const { text } = encode(res);
    this.ctx.cdr.stop('network', res.status === 487 ? 'call-canceled' : 'call-rejected', text);
    this.toApp(e, res, id);
  }

  private upsertDialog(e: ClientEntry, res: SipResponse, tag: string, state: Dialog['state']): Dialog {
    const id = e.inviteDialogId!;
    const contact = parseNameAddr(res.headers.get('contact') ?? '');
    const routeSet = res.headers.getAll('record-route').reverse();
    let d = this.ctx.dialogs.get(id);
    if (!d) {
      const req = e.request;
      const from = req.headers.get('from') ?? '';
      const seq = getCSeq(req)?.seq ?? 1;
      d = {
        id, role: 'uac', callId: getCallId(req) ?? '', localTag: parseNameAddr(from)?.tag ?? '', remoteTag: tag,
        localUri: stripTag(from), remoteUri: stripTag(req.headers.get('to') ?? ''), localSeq: seq, remoteSeq: undefined,
        remoteTarget: contact?.uri ?? req.uri, routeSet, localContact: req.headers.get('contact') ?? '',
        protocol: e.target.protocol, client: e.client, state, lastInviteSeq: seq, lastInviteStatus: 0,
        lastAck: undefined, inviteInProgressIn: false, awaitingAckTxn: undefined,
      };
      this.ctx.dialogs.add(d);
    } else {
      if (d.remoteTag !== tag) this.ctx.dialogs.setRemoteTag(d, tag);
      if (contact) d.remoteTarget = contact.uri;
      if (state === 'confirmed' || routeSet.length) d.routeSet = routeSet;
      d.state = state;
    }
    e.dialog = d;
    return d;
  }

  private killFork(e: ClientEntry, res: SipResponse): void {
    const tag = getToTag(res) ?? '';
    const contact = parseNameAddr(res.headers.get('contact') ?? '');
    const base = this.ctx.dialogs.get(e.inviteDialogId!);
    if (!base) return;
    const fork: Dialog = { ...base, id: `${base.id};fork=${tag}`, remoteTag: tag, remoteTarget: contact?.uri ?? base.remoteTarget, routeSet: res.headers.getAll('record-route').reverse(), client: undefined, lastAck: undefined };
    const ack = buildAck2xx(fork, e.local, Buffer.alloc(0));
    this.ctx.transport.send(ack, e.target);
    this.ctx.logger.info({ callId: fork.callId, tag }, 'extra 2xx from a fork: ACK and BYE');
    void this.engineBye(fork, 'SIP;cause=200;text="Call completed elsewhere"');
  }

  /** Responses, real or synthesised (408/503), reach the app as from the peer, as drachtio reports them. */
  private toApp(e: ClientEntry, res: SipResponse, dlgId: string): void {
    if (!e.client) return;
    const { text, bytes } = encode(res);
    safeSend(e.client, sipToApp(metaFor('network', e.target, bytes), e.wireTxnId, dlgId, text));
  }

  private async dialogTarget(d: Dialog): Promise<Target> {
    const first = d.routeSet[0];
    const uri = first ? parseNameAddr(first)?.uri ?? d.remoteTarget : d.remoteTarget;
    const ut = uriTarget(uri);
    if (!ut) throw new Error(`cannot route to ${uri}`);
    if (!/;transport=/i.test(uri)) ut.protocol = d.protocol;
    return resolveTarget(ut);
  }
}

/** 408 / 503 the engine reports when the peer never answered or could not be reached. */
function synthesize(req: SipRequest, status: 408 | 503): SipResponse {
  return buildResponse(req, status, status === 408 ? 'Request Timeout' : 'Service Unavailable');
}
