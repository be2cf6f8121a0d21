/**
 * The engine core, server side: requests from the network and the application's responses to them.
 *
 * New requests get a server transaction (INVITE: 100 Trying at once), then go to the application
 * routed for the method; in-dialog requests go to the dialog's application; CANCEL, stray ACK and
 * unknown-dialog requests are answered here exactly as drachtio-server answers them.
 */
import type { SipRequest, SipResponse } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { getBranch, getCallId, getCSeq, getFromTag, getToTag, generateTag, parseNameAddr } from '../../sip/headers';
import type { ServerTransaction, ServerTransactionUser, TimerHandle } from '../transaction/types';
import { isRfc3261Branch, requestServerKey } from '../transaction/keys';
import type { InboundMessage } from '../transport/layer';
import { responseTarget } from '../transport/layer';
import type { WireClient } from '../wire/server';
import { responseSentEcho, sipNok, sipToApp } from '../wire/protocol';
import { wireId } from '../wire/ids';
import type { Dialog } from '../dialog/dialog';
import { parseAppMessage } from './app-message';
import { encode, metaFor, safeSend, type CoreContext } from './context';
import { createServerTxn } from './txn-factory';
import { buildAppResponse, endEarlyDialog, rememberLocalSdp, trackUasDialog, uasDialogId, type UasExchange } from './uas-responses';
import { offers100rel, parseRAck, ReliableProvisionals, wantsReliable } from './prack';
import { rejectTooSmall, type SessionTimers } from './session-timer';
import { handledAsSpam } from './spammers';
import { buildEngineBye } from './request-builder';
import { methodRejection, requestRejection } from './request-checks';
import { staleTransactions, type TransactionSummary } from './txn-summary';
import { armGuard } from './answer-guard';
import { requestSkeleton } from './txn-retire';
import { ownString } from '../transaction/util';

interface ServerEntry extends UasExchange {
  key: string;
  /** Clock time it started (leak diagnostics). */
  createdAt: number;
  txn: ServerTransaction;
  local: InboundMessage['local'];
  /** Status of the final response sent (by the app or the engine); 0 until then. */
  finalStatus: number;
  /** RFC 3262 reliable provisionals of this INVITE, once the app sent one. */
  reliable: ReliableProvisionals | undefined;
  /** INVITE handed to an app: the engine answers if the app never does (answer-guard.ts). */
  guard: TimerHandle | undefined;
  /** A new INVITE waiting for its final: its drachtio dialog id (`Call-ID;from-tag`), indexed in pendingInvites. */
  inviteId?: string;
}

export interface ServerSideHooks {
  /** An INVITE we answered with 2xx got no ACK (timer H): tear the dialog down. */
  onAckTimeout(dialog: Dialog): void;
}

export class ServerSide {
  private readonly byKey = new Map<string, ServerEntry>();
  private readonly byWireId = new Map<string, ServerEntry>();
  /**
   * The entries with no final response yet — the few in setup or in flight, not the tens of
   * thousands in their 32 s wait windows under load: what a BYE must answer 487 is looked for here.
   * setFinal (the only writer of finalStatus) and termination take entries out of both indexes.
   */
  private readonly unanswered = new Set<ServerEntry>();
  /** New INVITEs with no final yet by drachtio dialog id: a second one with the same id is merged (482). */
  private readonly pendingInvites = new Map<string, ServerEntry>();

  constructor(private readonly ctx: CoreContext, private readonly hooks: ServerSideHooks, private readonly timers: SessionTimers) {}

  get pendingCount(): number {
    return this.byKey.size;
  }

  stale(olderThanMs: number): TransactionSummary[] {
    return staleTransactions(this.byKey.values(), this.ctx.clock.now(), olderThanMs, (e) => ({
      side: 'server', method: e.request.method, state: e.txn.state, timers: e.txn.armedTimers, callId: getCallId(e.request) ?? '',
      detail: `final=${e.finalStatus} app=${e.client ? 'yes' : 'none'} from=${e.txn.source.protocol}:${e.txn.source.address}:${e.txn.source.port}`
        + ` toTag=${getToTag(e.request) ? 'yes' : 'no'} dialog=${!e.dialog ? 'none' : this.ctx.dialogs.get(e.dialog.id) === e.dialog ? 'live' : 'gone'}`,
    }));
  }

  onRequest(m: InboundMessage): void {
    const req = m.message as SipRequest;
    const key = keyFor(req);
    if (req.method === 'ACK') return this.onAck(req, m, key);

    const existing = this.byKey.get(key);
    if (existing) {
      existing.txn.receiveRequest(req); // retransmission: the transaction re-sends or absorbs
      return;
    }
    if (handledAsSpam(this.ctx, req, m)) return;
    if (req.method === 'CANCEL') return this.onCancel(req, m, key);
    if (getToTag(req)) return this.onInDialog(req, m, key);
    this.onNewRequest(req, m, key);
  }

  /** The application's response to a network request: `sip|<txnId>|…` with a status line. */
  respondFromApp(client: WireClient, msgId: string, txnId: string, sip: string): void {
    const entry = this.byWireId.get(txnId);
    const app = parseAppMessage(sip);
    if (!entry || entry.finalStatus || !app || app.start.kind !== 'response') {
      const cseq = app?.headers.get('cseq') ?? '';
      const reason = /\bCANCEL\b/i.test(cseq)
        ? '200 OK to incoming CANCEL is automatically generated by the stack'
        : 'Response not sent due to unknown transaction';
      client.send(sipNok(msgId, reason));
      return;
    }
    const { status, reason } = app.start;
    const isInvite = entry.request.method === 'INVITE';
    const reliable = isInvite && status > 100 && status < 200 && app.headers.getAll('require').some((v) => /\b100rel\b/i.test(v));
    if (reliable && !offers100rel(entry.request)) {
      client.send(sipNok(msgId, 'Remote endpoint does not support 100rel'));
      return;
    }
    const res = buildAppResponse(entry, status, reason, app.headers, app.body, reliable);
    if (!res) {
      client.send(sipNok(msgId, 'missing content-type'));
      return;
    }
    const dialog = trackUasDialog(this.ctx.dialogs, entry, res);
    if (dialog && status >= 200 && status < 300 && (isInvite || entry.request.method === 'UPDATE')) {
      this.timers.onUas2xx(dialog, entry.request, res);
    }
    if (dialog && status > 100 && status < 300 && (isInvite || entry.request.method === 'UPDATE')) rememberLocalSdp(dialog, res);
    if (status >= 200) {
      this.setFinal(entry, status);
      entry.guard?.cancel();
    } else if (isInvite && status > 100 && !getToTag(entry.request)) this.guardAnswer(entry); // timer C restarts on a provisional
    this.transmit(entry, res);
    const { text, bytes } = encode(res);
    const echoDialog = dialog?.id ?? (isInvite && !getToTag(entry.request) && status > 100 ? uasDialogId(entry.request) : '');
    client.send(responseSentEcho(msgId, metaFor('application', entry.replyTo, bytes), txnId, echoDialog, text));
    if (isInvite && !getToTag(entry.request)) {
      if (status >= 300) this.ctx.cdr.stop('application', 'call-rejected', text);
      else if (status >= 200) this.ctx.cdr.start('application', 'uas', text);
    }
  }

  /**
   * srf's req.proxy(): the engine is a B2BUA engine and does not proxy. The app gets a NOK at once
   * (srf rejects the proxy promise with it) and, as drachtio-server does when a proxy attempt fails,
   * the caller gets 500 instead of sitting at 100 Trying.
   */
  refuseProxy(client: WireClient, msgId: string, txnId: string): void {
    client.send(sipNok(msgId, 'proxy is not supported by the trunkwise engine (it is a B2BUA engine: use createB2BUA)'));
    const entry = this.byWireId.get(txnId);
    if (entry && !entry.finalStatus) this.engineFinal(entry, 500, 'Server Internal Error');
  }

  /** An application went away: its unanswered requests get 503 rather than hanging until timeout. */
  onClientGone(client: WireClient): void {
    for (const e of this.unanswered) {
      if (e.client === client) this.engineFinal(e, 503, 'Service Unavailable');
    }
  }

  private onNewRequest(req: SipRequest, m: InboundMessage, key: string): void {
    const client = this.ctx.wire.selectClient(req.method.toLowerCase());
    const entry = this.createEntry(req, m, key, client, undefined);
    if (!client) {
      const ua = req.headers.get('user-agent') ?? '';
      const auto = this.ctx.behaviour.userAgentOptionsAutoRespond;
      const ok = req.method === 'OPTIONS' && auto !== undefined && ua.includes(auto);
      const refusal = ok ? undefined : methodRejection(req, this.ctx.wire);
      if (refusal) this.engineFinal(entry, refusal.status, refusal.reason, refusal.headers);
      else this.engineFinal(entry, ok ? 200 : 503, ok ? 'OK' : 'Service Unavailable');
      return;
    }
    const rejection = requestRejection(req);
    if (rejection) return this.engineFinal(entry, rejection.status, rejection.reason, rejection.headers);
    if (req.method === 'INVITE' && this.dialogIdTaken(entry)) return this.engineFinal(entry, 482, 'Loop Detected');
    if (req.method === 'INVITE' && this.sessionIntervalTooSmall(entry)) return;
    const { text, bytes } = encode(req);
    client.send(sipToApp(metaFor('network', m.source, bytes), entry.wireTxnId, '', text, { address: m.local.address, port: m.local.port }));
    if (req.method === 'INVITE') {
      this.guardAnswer(entry);
      this.ctx.cdr.attempt('network', text);
    }
  }

  private onInDialog(req: SipRequest, m: InboundMessage, key: string): void {
    const d = this.ctx.dialogs.findForRequest(getCallId(req) ?? '', getToTag(req) ?? '', getFromTag(req) ?? '');
    if (!d) {
      const e = this.createEntry(req, m, key, undefined, undefined);
      this.engineFinal(e, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const seq = getCSeq(req)?.seq ?? 0;
    const branch = getBranch(req);
    if (seq === d.remoteSeq && branch !== undefined && branch === d.lastRemoteBranch) {
      // A copy of the request just handled, after its transaction ended (on TCP at once: timer J = 0).
      // Its transaction would have absorbed it as a retransmission; so does the dialog (no 500).
      this.ctx.logger.debug({ callId: d.callId, method: req.method, seq }, 'late copy of the last in-dialog request absorbed');
      return;
    }
    const entry = this.createEntry(req, m, key, d.client, d);
    entry.toTag = d.localTag;
    if (d.remoteSeq !== undefined && seq <= d.remoteSeq) {
      this.engineFinal(entry, 500, 'Server Internal Error');
      return;
    }
    d.remoteSeq = seq;
    d.lastRemoteBranch = branch;
    if (req.method === 'PRACK' && !this.prackMatches(d, req)) {
      // RFC 3262 §3: a PRACK that matches no unacknowledged reliable provisional gets 481.
      this.engineFinal(entry, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    // RFC 3261 §8.2 holds inside a dialog too (420, 415, 406); a BYE ends the call whatever it requires.
    const rejection = req.method === 'BYE' ? undefined : requestRejection(req);
    if (rejection) return this.engineFinal(entry, rejection.status, rejection.reason, rejection.headers);
    if (req.method === 'INVITE') {
      // RFC 3261 §14.2: glare with our own re-INVITE → 491; our previous INVITE-server transaction
      // still open (unanswered, or 2xx not yet ACKed) → 500 with Retry-After 0–10 s.
      if (d.inviteInProgressOut) {
        this.engineFinal(entry, 491, 'Request Pending');
        return;
      }
      if (d.inviteInProgressIn || d.awaitingAckTxn) {
        this.engineFinal(entry, 500, 'Server Internal Error', [{ name: 'Retry-After', value: String(Math.floor(Math.random() * 11)) }]);
        return;
      }
    }
    if ((req.method === 'INVITE' || req.method === 'UPDATE') && this.sessionIntervalTooSmall(entry)) return;
    if (req.method === 'INVITE') d.inviteInProgressIn = true;
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const na = parseNameAddr(req.headers.get('contact') ?? '');
      if (na) d.remoteTarget = na.uri;
    }
    if (req.method === 'BYE') {
      // A BYE proves our 2xx arrived even if its ACK was lost: stop retransmitting the 2xx, so
      // timer H does not later fire an ACK-timeout BYE for a dialog that is already over.
      const awaiting = d.awaitingAckTxn ? this.byWireId.get(d.awaitingAckTxn) : undefined;
      d.awaitingAckTxn = undefined;
      awaiting?.txn.receiveAck(req);
      if (awaiting) awaiting.dialog = undefined; // its wait window needs it no more (see onRetired)
      this.ctx.dialogs.remove(d); // drachtio clears the dialog on receipt of BYE
      // RFC 3261 §15.1.2: requests of the dialog still unanswered (a re-INVITE the app was relaying)
      // get 487 — the app may never answer them once the call is over (findings #8).
      for (const e of this.unanswered) if (e !== entry && e.dialog === d) this.engineFinal(e, 487, 'Request Terminated');
    }
    const { text, bytes } = encode(req);
    if (!d.client?.alive) {
      const bye = req.method === 'BYE';
      this.engineFinal(entry, bye ? 200 : 481, bye ? 'OK' : 'Call/Transaction Does Not Exist');
      return;
    }
    d.client.send(sipToApp(metaFor('network', m.source, bytes), entry.wireTxnId, d.id, text));
    if (req.method === 'INVITE') this.guardAnswer(entry);
    if (req.method === 'BYE') this.ctx.cdr.stop('network', 'normal-release', text);
  }

  private onCancel(req: SipRequest, m: InboundMessage, key: string): void {
    const inviteEntry = this.byKey.get(inviteKeyForCancel(req));
    const cancelEntry = this.createEntry(req, m, key, undefined, undefined);
    if (!inviteEntry) {
      this.engineFinal(cancelEntry, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    cancelEntry.toTag = inviteEntry.toTag;
    this.engineFinal(cancelEntry, 200, 'OK');
    if (inviteEntry.finalStatus) return;
    this.engineFinal(inviteEntry, 487, 'Request Terminated');
    const { text, bytes } = encode(req);
    safeSend(inviteEntry.client, sipToApp(metaFor('network', m.source, bytes), inviteEntry.wireTxnId, '', text));
    this.ctx.cdr.stop('network', 'call-canceled', text);
  }

  private onAck(ack: SipRequest, m: InboundMessage, key: string): void {
    // ACK for a non-2xx final (initial INVITE or re-INVITE): same branch as the INVITE, absorbed by
    // its transaction (RFC 3261 §17.2.1) — never mistaken for a retransmitted 2xx ACK.
    const found = this.byKey.get(key);
    // RFC 2543 matching (§17.2.3) also needs the ACK's To tag to be the one our response carried.
    const inv = found && (isRfc3261Branch(getBranch(ack)) || getToTag(ack) === (getToTag(found.request) ?? found.toTag)) ? found : undefined;
    if (inv && inv.request.method === 'INVITE' && inv.finalStatus >= 300) {
      inv.txn.receiveAck(ack);
      return;
    }
    // ACK for a 2xx: a new transaction inside the dialog; the app hears about it.
    const d = this.ctx.dialogs.findForRequest(getCallId(ack) ?? '', getToTag(ack) ?? '', getFromTag(ack) ?? '');
    if (!d) {
      if (inv) inv.txn.receiveAck(ack);
      this.ctx.logger.debug({ callId: getCallId(ack) }, 'stray ACK dropped');
      return;
    }
    const awaiting = d.awaitingAckTxn ? this.byWireId.get(d.awaitingAckTxn) : undefined;
    if (!awaiting) return; // retransmitted ACK: already delivered
    d.awaitingAckTxn = undefined;
    awaiting.txn.receiveAck(ack);
    awaiting.dialog = undefined; // its wait window needs it no more (see onRetired)
    const { text, bytes } = encode(ack);
    safeSend(d.client, sipToApp(metaFor('network', m.source, bytes), wireId(), d.id, text));
  }

  /** Hand a response to the transaction; reliable provisionals and the finals they hold go through RFC 3262. */
  private transmit(e: ServerEntry, res: SipResponse): void {
    if (e.request.method === 'INVITE' && wantsReliable(res)) {
      e.reliable ??= new ReliableProvisionals(this.ctx.clock, this.ctx.timers.T1, getCSeq(e.request)?.seq ?? 0, {
        send: (r) => e.txn.respond(r),
        onTimeout: (heldFinal) => {
          this.ctx.logger.warn({ callId: getCallId(e.request) }, 'no PRACK for a reliable provisional in 64*T1: rejecting the INVITE');
          if (heldFinal && e.dialog) this.abandonHeldAnswer(e.dialog);
          if (!e.finalStatus || heldFinal) this.engineFinal(e, 503, 'Reliable Response Time-Out');
        },
      });
      e.reliable.provisional(res);
      return;
    }
    if (res.status >= 200 && e.reliable && e.reliable.final(res) === 'hold') return;
    e.txn.respond(res);
  }

  /** The app has this INVITE: if it never answers, the engine will (answer-guard.ts), and log it. */
  private guardAnswer(e: ServerEntry): void {
    e.guard = armGuard(this.ctx, e.guard, !!getToTag(e.request), (v, ms) => {
      if (e.finalStatus) return;
      this.ctx.logger.warn({ callId: getCallId(e.request), method: e.request.method, reinvite: !!getToTag(e.request), afterMs: ms, status: v.status },
        'the application never answered the INVITE: the engine answers it');
      this.engineFinal(e, v.status, v.reason, v.headers);
    });
  }

  /** A final response the engine itself sends (CANCEL, 481/491/500, app gone, reliable timeout, answer guard). */
  private engineFinal(e: ServerEntry, status: number, reason: string, headers: Array<{ name: string; value: string }> = []): void {
    const res = buildResponse(e.request, status, reason, { toTag: status > 100 ? e.toTag : undefined, headers });
    e.reliable?.stop();
    e.guard?.cancel();
    if (e.request.method === 'INVITE' && !getToTag(e.request) && e.dialog && status >= 300) endEarlyDialog(this.ctx.dialogs, e.dialog);
    if (e.dialog && e.request.method === 'INVITE' && getToTag(e.request)) e.dialog.inviteInProgressIn = false;
    this.setFinal(e, status);
    e.txn.respond(res);
  }

  private setFinal(e: ServerEntry, status: number): void {
    e.finalStatus = status;
    this.forget(e);
  }

  /** Out of the indexes of unanswered requests (answered, or its transaction ended). */
  private forget(e: ServerEntry): void {
    this.unanswered.delete(e);
    if (e.inviteId === undefined) return;
    if (this.pendingInvites.get(e.inviteId) === e) this.pendingInvites.delete(e.inviteId);
    // Its only use was that index: a rope of Call-ID and tag (~240 bytes) not kept for the wait window.
    e.inviteId = undefined;
  }

  /** Its transaction ended (EntryEvents). */
  entryTerminated(entry: ServerEntry): void {
    entry.reliable?.stop();
    entry.guard?.cancel();
    // Ended with no final response (the caller's connection failed): its early dialog ends too.
    if (!entry.finalStatus && entry.dialog?.state === 'early' && !getToTag(entry.request)) endEarlyDialog(this.ctx.dialogs, entry.dialog);
    this.byKey.delete(entry.key);
    this.byWireId.delete(entry.wireTxnId);
    this.forget(entry);
  }

  /** Timer H: no ACK for its final (EntryEvents). */
  entryAckTimeout(entry: ServerEntry): void {
    if (entry.dialog && entry.dialog.awaitingAckTxn === entry.wireTxnId) this.hooks.onAckTimeout(entry.dialog);
  }

  entryTransportError(entry: ServerEntry): void {
    this.ctx.logger.warn({ target: entry.replyTo, method: entry.request.method }, 'could not send response');
  }

  /** The final is out: keep only what the wait window needs (EntryEvents). */
  entryRetired(entry: ServerEntry): void {
    entry.request = requestSkeleton(entry.request);
    entry.guard = undefined;
    // Past the final only a 2xx still waiting for its ACK needs the dialog (timer H → BYE).
    if (entry.dialog?.awaitingAckTxn !== entry.wireTxnId) entry.dialog = undefined;
  }

  /**
   * The app's 2xx was held behind an un-PRACKed reliable provisional that timed out: the peer never
   * saw the answer. The dialog goes, and the app (which believes the call is up) gets an unsolicited BYE.
   */
  private abandonHeldAnswer(d: Dialog): void {
    this.ctx.dialogs.remove(d);
    const local = this.ctx.transport.localFor(d.protocol) ?? this.ctx.transport.listeners()[0];
    if (!local) return;
    const { text, bytes } = encode(buildEngineBye(d, local, 'SIP ;cause=503 ;text="Reliable Response Time-Out"'));
    safeSend(d.client, sipToApp(metaFor('application', { protocol: d.protocol, address: '', port: 0 }, bytes), 'unsolicited', d.id, text));
  }

  private createEntry(req: SipRequest, m: InboundMessage, lookupKey: string, client: WireClient | undefined, dialog: Dialog | undefined): ServerEntry {
    // Kept for the wait window: flat, not a rope of its parts (lookups build theirs and let it go).
    const key = ownString(lookupKey);
    const wireTxnId = wireId(); // flat already (wire/ids.ts)
    const replyTo = responseTarget(req, m.source);
    // The transaction's user needs the entry, and the entry its transaction: the user learns its entry
    // next (before any event: the transaction reports nothing synchronously). One literal with every
    // field, so the entry's properties live in the object, not in a separate store added later.
    const events = new EntryEvents(this);
    const txn = createServerTxn(this.ctx, req, replyTo, events);
    const entry: ServerEntry = {
      wireTxnId, key, createdAt: this.ctx.clock.now(), txn, request: req, replyTo, local: m.local, client, toTag: generateTag(), dialog,
      finalStatus: 0, reliable: undefined, guard: undefined, inviteId: undefined,
    };
    events.entry = entry;
    this.byKey.set(key, entry);
    this.byWireId.set(wireTxnId, entry);
    this.unanswered.add(entry);
    return entry;
  }

  /**
   * A new INVITE (no To tag) whose Call-ID and From tag belong to a dialog we hold, or to another
   * INVITE still waiting for its answer: a merged request (RFC 3261 §8.2.2.2: 482), and in any case
   * one the drachtio dialog id (`Call-ID;from-tag`) cannot tell apart from the first — passed up, the
   * app would get a second call under the same id, and neither would end cleanly (findings #8).
   */
  private dialogIdTaken(entry: ServerEntry): boolean {
    const req = entry.request;
    const id = uasDialogId(req);
    if (this.ctx.dialogs.get(id)) return true;
    const other = this.pendingInvites.get(id);
    if (other && other !== entry) return true;
    entry.inviteId = id;
    this.pendingInvites.set(id, entry);
    return false;
  }

  /** RFC 4028 §9 / drachtio: Session-Expires below our Min-SE → 422 with Min-SE. true when answered. */
  private sessionIntervalTooSmall(e: ServerEntry): boolean {
    const minSE = rejectTooSmall(e.request, this.timers.settings);
    if (minSE === undefined) return false;
    this.engineFinal(e, 422, 'Session Interval Too Small', [{ name: 'Min-SE', value: String(minSE) }]);
    return true;
  }

  /** A PRACK for this dialog's initial INVITE whose RAck matches its outstanding reliable provisional. */
  private prackMatches(d: Dialog, prack: SipRequest): boolean {
    const inv = d.initialInviteTxn ? this.byWireId.get(d.initialInviteTxn) : undefined;
    const rack = parseRAck(prack.headers.get('rack'));
    return !!inv?.reliable && !!rack && inv.reliable.prack(rack);
  }
}

/** ACK goes to its INVITE's transaction (§17.2.3); RFC 2543 requests are matched field by field. */
const keyFor = (req: SipRequest): string => requestServerKey(req, req.method === 'ACK' ? 'INVITE' : req.method);

/** The INVITE a CANCEL targets: the same key with the method INVITE (RFC 3261 §9.2). */
const inviteKeyForCancel = (req: SipRequest): string => requestServerKey(req, 'INVITE');

/**
 * A server transaction's user: one object per transaction, its methods on the prototype — not four
 * closures and their context, for each of the tens of thousands of transactions in their wait
 * windows under load (issue 11). They read the request through the entry, never a captured `req`:
 * onRetired swaps in its skeleton for the wait window.
 */
class EntryEvents implements ServerTransactionUser {
  entry: ServerEntry | undefined;

  constructor(private readonly side: ServerSide) {}

  onTerminated(): void {
    if (this.entry) this.side.entryTerminated(this.entry);
  }

  onAckTimeout(): void {
    if (this.entry) this.side.entryAckTimeout(this.entry);
  }

  onTransportError(): void {
    if (this.entry) this.side.entryTransportError(this.entry);
  }

  onRetired(): void {
    if (this.entry) this.side.entryRetired(this.entry);
  }
}
