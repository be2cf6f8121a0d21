/**
 * Responses to an INVITE the application sent outside a dialog (the carrier leg): early and
 * confirmed UAC dialogs, reliable provisionals (RFC 3262 §4), extra 2xx from forks, the CANCEL/200
 * race, and failures — after which no early dialog is left behind.
 */
import type { SipResponse } from '../../sip/message';
import { getCSeq, getCallId, getToTag, isWellFormedNameAddr, parseNameAddr, stripTag, type NameAddr } from '../../sip/headers';
import { createDialog, type Dialog } from '../dialog/dialog';
import { encode, type CoreContext } from './context';
import type { ClientEntry } from './client-entry';
import { buildAck2xx } from './request-builder';
import type { SessionTimers } from './session-timer';
import { hasOptionTag } from './session-timer';
import { REASON, type EngineRequests } from './engine-requests';
import { rememberLocalSdp } from './uas-responses';

export interface UacInviteDeps {
  ctx: CoreContext;
  timers: SessionTimers;
  engine: EngineRequests;
  /** Send the CANCEL held until the first provisional. */
  sendPendingCancel(e: ClientEntry): void;
  toApp(e: ClientEntry, res: SipResponse, dialogId: string): void;
}

/** RFC 3262: a 1xx (not 100) with RSeq and Require: 100rel. */
export function isReliableProvisional(res: SipResponse): boolean {
  return res.status > 100 && res.status < 200 && res.headers.has('rseq') && hasOptionTag(res.headers, 'require', '100rel');
}

/**
 * A response's Contact, only when it is a well-formed name-addr (RFC 3261 §25.1). The parser checks
 * Contact in requests only; a response's Contact with whitespace inside the URI would become a
 * Request-URI drachtio-srf cannot parse (fuzz finding #12), so it is no remote target.
 */
function usableContact(res: SipResponse): NameAddr | undefined {
  const v = res.headers.get('contact') ?? '';
  return isWellFormedNameAddr(v) ? parseNameAddr(v) : undefined;
}

/**
 * Whether drachtio-srf (createUAC) can turn this 2xx into a Dialog: only a 200 with a usable Contact.
 * Anything else it ACKs and reports as an error, and never sends a BYE for.
 */
export function appCanHold(res: SipResponse): boolean {
  return res.status === 200 && usableContact(res) !== undefined;
}

export class UacInvite {
  constructor(private readonly deps: UacInviteDeps) {}

  onResponse(e: ClientEntry, res: SipResponse): void {
    const id = e.inviteDialogId!;
    const tag = getToTag(res);
    const { ctx } = this.deps;
    if (res.status < 200) return this.provisional(e, res, id, tag);
    if (res.status < 300) return this.success(e, res, id, tag);
    if (e.finalSeen) return;
    e.finalSeen = true;
    const d = ctx.dialogs.get(id);
    if (d) ctx.dialogs.remove(d); // early dialogs end with the INVITE (RFC 3261 §12.3)
    const { text } = encode(res);
    ctx.cdr.stop('network', res.status === 487 ? 'call-canceled' : 'call-rejected', text);
    this.deps.toApp(e, res, id);
  }

  private provisional(e: ClientEntry, res: SipResponse, id: string, tag: string | undefined): void {
    e.provisional = true;
    this.deps.sendPendingCancel(e);
    if (isReliableProvisional(res) && tag) {
      // RFC 3262 §4: only the next RSeq in order is processed; retransmissions and gaps are dropped.
      const rseq = Number(res.headers.get('rseq'));
      const existing = this.deps.ctx.dialogs.get(id);
      const last = existing && existing.remoteTag === tag ? existing.lastRSeq : undefined;
      if (!Number.isInteger(rseq) || (last !== undefined && rseq !== last + 1)) return;
      const d = this.upsertDialog(e, res, tag, 'early');
      d.lastRSeq = rseq;
      return this.deps.toApp(e, res, id);
    }
    if (tag && res.status > 100) this.upsertDialog(e, res, tag, 'early');
    this.deps.toApp(e, res, id);
  }

  private success(e: ClientEntry, res: SipResponse, id: string, tag: string | undefined): void {
    const { ctx } = this.deps;
    if (e.answeredTag !== undefined) {
      if (tag === e.answeredTag) {
        const d = ctx.dialogs.get(id);
        if (d?.lastAck) ctx.transport.send(d.lastAck.ack, d.lastAck.target);
        return;
      }
      return this.killFork(e, res); // a second fork answered: ACK and BYE it
    }
    e.answeredTag = tag ?? '';
    e.finalSeen = true;
    const d = this.upsertDialog(e, res, tag ?? '', 'confirmed');
    d.lastInviteStatus = res.status;
    if (!appCanHold(res)) d.byeAfterAck = REASON.unusable2xx;
    this.deps.timers.onUac2xx(d, res);
    const { text } = encode(res);
    ctx.cdr.start('network', 'uac', text);
    this.deps.toApp(e, res, id);
    if (e.cancelled) {
      // CANCEL crossed the 200: ACK, then BYE, and the app learns of it as an unsolicited BYE.
      ctx.logger.info({ callId: d.callId }, 'ACK/BYE race: 200 OK to an INVITE we had cancelled');
      const ack = buildAck2xx(d, e.local, Buffer.alloc(0));
      ctx.transport.send(ack, e.target);
      d.lastAck = { ack, target: e.target };
      this.deps.engine.bye(d, REASON.cancelRace);
    }
  }

  private upsertDialog(e: ClientEntry, res: SipResponse, tag: string, state: Dialog['state']): Dialog {
    const { ctx } = this.deps;
    const id = e.inviteDialogId!;
    const contact = usableContact(res);
    const routeSet = res.headers.getAll('record-route').reverse();
    let d = ctx.dialogs.get(id);
    if (!d) {
      const req = e.request;
      const from = req.headers.get('from') ?? '';
      const seq = getCSeq(req)?.seq ?? 1;
      d = createDialog({
        id, role: 'uac', callId: getCallId(req) ?? '', localTag: parseNameAddr(from)?.tag ?? '', remoteTag: tag,
        localUri: stripTag(from), remoteUri: stripTag(req.headers.get('to') ?? ''), localSeq: seq, remoteSeq: undefined,
        remoteTarget: contact?.uri ?? req.uri, routeSet, localContact: req.headers.get('contact') ?? '',
        protocol: e.target.protocol, client: e.client, state, lastInviteSeq: seq,
      });
      rememberLocalSdp(d, req);
      ctx.dialogs.add(d);
    } else {
      if (d.remoteTag !== tag) {
        ctx.dialogs.setRemoteTag(d, tag);
        d.lastRSeq = undefined; // another fork: its own RSeq space
      }
      if (contact) d.remoteTarget = contact.uri;
      if (state === 'confirmed' || routeSet.length) d.routeSet = routeSet;
      d.state = state;
    }
    e.dialog = d;
    return d;
  }

  private killFork(e: ClientEntry, res: SipResponse): void {
    const { ctx } = this.deps;
    const tag = getToTag(res) ?? '';
    const contact = usableContact(res);
    const base = ctx.dialogs.get(e.inviteDialogId!);
    if (!base) return;
    const fork: Dialog = {
      ...base, id: `${base.id};fork=${tag}`, remoteTag: tag, remoteTarget: contact?.uri ?? base.remoteTarget,
      routeSet: res.headers.getAll('record-route').reverse(), client: undefined, lastAck: undefined, sessionTimer: undefined,
    };
    const ack = buildAck2xx(fork, e.local, Buffer.alloc(0));
    ctx.transport.send(ack, e.target);
    ctx.logger.info({ callId: fork.callId, tag }, 'extra 2xx from a fork: ACK and BYE');
    this.deps.engine.bye(fork, REASON.forkAnswered);
  }
}
