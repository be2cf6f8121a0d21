/**
 * Requests the engine sends on its own, outside any app's control: the BYE that ends a dialog
 * (timer H, session-timer expiry, CANCEL/200 race, extra fork) and the RFC 4028 session refresh.
 *
 * Nothing here may reject or throw into a timer: a dialog whose remote target cannot be routed
 * (a `tel:` Contact, a host that does not resolve) is still removed and the app still gets its
 * unsolicited BYE — the BYE itself is then only logged as not sent (issue 9).
 */
import { SipHeaders, type SipResponse } from '../../sip/message';
import type { Dialog } from '../dialog/dialog';
import { sipToApp } from '../wire/protocol';
import { encode, metaFor, safeSend, type CoreContext } from './context';
import type { CdrStopReason } from './cdr';
import type { AppMessage } from './app-message';
import { buildAck2xx, buildEngineBye, buildInDialogRequest } from './request-builder';
import { dialogUriTarget, resolveDialogTarget } from './targets';
import type { SessionTimers } from './session-timer';
import type { StartRequest } from './client-entry';

/** The Reason values drachtio-server puts on the BYEs it generates. */
export const REASON = {
  ackTimeout: 'SIP ;cause=200 ;text="ACK timeout"',
  sessionExpired: 'SIP ;cause=200 ;text="Session timer expired"',
  cancelRace: 'SIP ;cause=200 ;text="ACK-BYE due to cancel race condition"',
  forkAnswered: 'SIP ;cause=200 ;text="Call completed elsewhere"',
  unusable2xx: 'SIP ;cause=200 ;text="2xx the application cannot use"',
  appGone: 'SIP ;cause=503 ;text="Application disconnected"',
} as const;

export class EngineRequests {
  constructor(private readonly ctx: CoreContext, private readonly timers: SessionTimers, private readonly start: StartRequest) {}

  /** End the dialog with a BYE of our own; the app is told with an unsolicited BYE. Never rejects. */
  bye(d: Dialog, reason: string, cdr?: CdrStopReason): void {
    this.ctx.dialogs.remove(d);
    const local = this.ctx.transport.localFor(d.protocol) ?? this.ctx.transport.listeners()[0];
    if (!local) return;
    const bye = buildEngineBye(d, local, reason);
    const ut = dialogUriTarget(d);
    const { text, bytes } = encode(bye);
    safeSend(d.client, sipToApp(metaFor('application', { protocol: d.protocol, address: ut?.host ?? '', port: ut?.port ?? 0 }, bytes), 'unsolicited', d.id, text));
    if (cdr) this.ctx.cdr.stop('application', cdr, text);
    settle(resolveDialogTarget(d).then((target) => void this.start(bye, target, local, { dialog: d, onFinal: () => undefined })), (err) => {
      this.ctx.logger.warn({ dialogId: d.id, remoteTarget: d.remoteTarget, err: err.message }, 'engine BYE not sent: the remote target cannot be reached');
    });
  }

  /** RFC 4028: we are the refresher and half the interval passed — re-INVITE (or UPDATE without SDP). */
  refresh(d: Dialog): void {
    const st = d.sessionTimer;
    if (!st || this.ctx.dialogs.get(d.id) !== d) return;
    if (d.inviteInProgressOut) {
      // An INVITE of ours is already in flight; its 2xx refreshes the session. Look again shortly.
      this.timers.arm(d, st.intervalSec, true, 2_000);
      return;
    }
    const local = this.ctx.transport.localFor(d.protocol);
    if (!local) return this.bye(d, REASON.sessionExpired, 'session-expired');
    const method = d.localSdp ? 'INVITE' : 'UPDATE';
    const headers = new SipHeaders([
      { name: 'Session-Expires', value: `${st.intervalSec};refresher=uac` },
      { name: 'Min-SE', value: String(st.minSE) },
      { name: 'Supported', value: 'timer' },
    ]);
    if (d.localSdp) headers.append('Content-Type', d.localSdp.contentType);
    const app: AppMessage = { start: { kind: 'request', method, uri: 'sip:placeholder' }, headers, body: d.localSdp?.body ?? Buffer.alloc(0) };
    d.localSeq += 1;
    const req = buildInDialogRequest(app, method, 'sip:placeholder', d, local, d.localSeq);
    if (method === 'INVITE') {
      d.lastInviteSeq = d.localSeq;
      d.inviteInProgressOut = true;
    }
    this.ctx.logger.debug({ dialogId: d.id, method, intervalSec: st.intervalSec }, 'session refresh');
    settle(resolveDialogTarget(d).then((target) => {
      this.start(req, target, local, { dialog: d, onFinal: (res) => this.refreshAnswered(d, method, res, target, local) });
    }), (err) => {
      d.inviteInProgressOut = false;
      this.ctx.logger.warn({ dialogId: d.id, err: err.message }, 'session refresh not sent: the remote target cannot be reached');
      this.bye(d, REASON.sessionExpired, 'session-expired');
    });
  }

  private refreshAnswered(d: Dialog, method: string, res: SipResponse, target: Parameters<StartRequest>[1], local: Parameters<StartRequest>[2]): void {
    if (method === 'INVITE') d.inviteInProgressOut = false;
    const live = this.ctx.dialogs.get(d.id) === d;
    if (res.status >= 200 && res.status < 300) {
      if (method === 'INVITE') {
        const ack = buildAck2xx(d, local, Buffer.alloc(0));
        this.ctx.transport.send(ack, target);
        d.lastAck = { ack, target };
      }
      if (live) this.timers.onUac2xx(d, res);
      return;
    }
    const st = d.sessionTimer;
    if (!live || !st) return;
    if (res.status === 491) {
      // Glare (RFC 3261 §14.1): we own neither side's Call-ID choice here, so wait 2.1–4 s and retry.
      this.timers.arm(d, st.intervalSec, true, 2_100 + Math.floor(Math.random() * 1_900));
      return;
    }
    const minSE = Number(res.headers.get('min-se')?.split(';')[0]);
    if (res.status === 422 && Number.isInteger(minSE) && minSE > st.intervalSec) {
      st.minSE = minSE;
      this.timers.arm(d, minSE, true, 0); // RFC 4028 §7.4: retry at once with the larger interval
      return;
    }
    this.ctx.logger.info({ dialogId: d.id, status: res.status }, 'session refresh failed: ending the dialog');
    this.bye(d, REASON.sessionExpired, 'session-expired');
  }
}

/** Run a promise for its side effects: any rejection (or a throw in its handlers) goes to onError. */
export function settle(p: Promise<unknown>, onError: (err: Error) => void): void {
  p.catch((err: unknown) => {
    try {
      onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      /* the error handler must not become an unhandled rejection either */
    }
  });
}
