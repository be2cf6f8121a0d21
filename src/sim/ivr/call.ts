/**
 * One IVR call, as a UAC: INVITE (Timer A retransmits until a provisional, Timer B gives up with 408)
 * → provisional → final. A non-2xx is ACKed on the INVITE's branch and re-ACKed when retransmitted
 * (§17.1.1.3); a 2xx is ACKed in the dialog and re-ACKed when retransmitted (§13.2.2.4), then RTP
 * flows for `holdMs` and the IVR sends BYE (Timer E/F). A call still ringing at its cancel deadline is
 * CANCELled (only after a provisional, §9.1). A BYE from the far end ends the call at once.
 *
 * States: calling → proceeding → (cancelling) → confirmed → terminating → done.
 */
import { generateBranch, generateCallId, generateTag, getCSeq, getToTag, parseNameAddr } from '../../sip/headers';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { serializeMessage } from '../../sip/serializer';
import { remoteFromSdp } from '../sdp';
import { startRetransmission, type Retransmission, type TimerHandle } from '../timers';
import { uriHost, type IvrCore } from './core';
import { buildInDialog, buildInvite, buildOffer, buildSameBranch, USER_AGENT, type CallIdentity, type DialogState } from './requests';
import type { RtpLeg } from './rtp-leg';

export type IvrCallState = 'calling' | 'proceeding' | 'cancelling' | 'confirmed' | 'terminating' | 'done';

/** How the call ended: the IVR's BYE, the far end's BYE, a non-2xx, our CANCEL, no answer at all (Timer B), or stop(). */
export type IvrEndReason = 'ivr-bye' | 'remote-bye' | 'rejected' | 'cancelled' | 'timeout' | 'stopped';

export interface IvrCallOptions {
  /** A SIP URI, or a user part (sent to sip:USER@target). */
  to: string;
  /** How long the call stays up after the ACK before the IVR sends BYE. */
  holdMs: number;
  /** CANCEL if no final response arrived by then (default: the IVR's ringTimeoutMs). */
  cancelAfterMs?: number;
}

export interface IvrCallResult {
  callId: string;
  /** Final status of the INVITE: 2xx, the rejection (487 after CANCEL), 408 when none came, 0 if stop() came first. */
  status: number;
  /** INVITE sent → final response, ms (-1 without a final response). */
  setupMs: number;
  endedBy: IvrEndReason;
  /** Final status of the IVR's BYE (408 if none within 64·T1); absent when the IVR sent none. */
  byeStatus?: number;
  /** RTP packets the IVR put on the wire / dropped on purpose (rtpDropPercent). */
  rtpSent: number;
  rtpDropped: number;
  /** RTP received back, expected from the sequence numbers (RFC 3550 A.3) and lost = expected − received. */
  rtpReceived: number;
  rtpExpected: number;
  rtpLost: number;
  /** Of rtpLost: missing after the last packet received (the far end's stream stopped early), or before the first. */
  rtpTailLost: number;
  rtpDuplicates: number;
  /** RFC 3550 interarrival jitter of what was received, ms. */
  rtpJitterMs: number;
  /** Largest gap between two received RTP packets, ms. */
  rtpMaxGapMs: number;
}

export class IvrCall {
  readonly id: CallIdentity;
  readonly done: Promise<IvrCallResult>;
  private state: IvrCallState = 'calling';
  private readonly inviteBranch = generateBranch();
  private inviteTx: Retransmission | undefined;
  private cancelTx: Retransmission | undefined;
  private byeTx: Retransmission | undefined;
  private byeKey: string | undefined;
  private reinviteTx: { seq: number; tx: Retransmission } | undefined;
  private dialog: DialogState | undefined;
  private remoteTag: string | undefined;
  /** The ACK of the final response, resent when the final is retransmitted. */
  private ack: Buffer | undefined;
  private finalStatus = 0;
  private startedAt = 0;
  private setupMs = -1;
  private endedBy: IvrEndReason = 'stopped';
  private byeStatus: number | undefined;
  private cancelWanted = false;
  private sdpVersion = 1;
  private readonly timers: TimerHandle[] = [];
  private resolve!: (r: IvrCallResult) => void;

  constructor(private readonly core: IvrCore, private readonly leg: RtpLeg, private readonly opts: IvrCallOptions, inviteSeq = 1) {
    const local = `${uriHost(core.localAddress)}:${core.sip.port}`;
    const target = `${uriHost(core.target.address)}:${core.target.port}`;
    const requestUri = /^sips?:|^tel:/i.test(opts.to) ? opts.to : `sip:${opts.to}@${target}`;
    this.id = {
      callId: `${generateCallId()}@${USER_AGENT}`, localTag: generateTag(), requestUri, from: `<sip:ivr@${local}>`, to: `<${requestUri}>`,
      contact: `<sip:ivr@${local};transport=udp>`, viaBase: `SIP/2.0/UDP ${local}`, inviteSeq,
    };
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  get callState(): IvrCallState {
    return this.state;
  }

  start(): void {
    const c = this.core;
    const invite = serializeMessage(buildInvite(this.id, this.inviteBranch, this.offer()));
    c.txns.set(`${this.inviteBranch}|INVITE`, (res) => this.onInviteResponse(res));
    this.startedAt = performance.now();
    this.inviteTx = startRetransmission({
      timers: c.timers, timings: c.timings, retransmit: true,
      send: () => c.sip.send(invite, c.target),
      onGiveUp: () => this.finish('timeout', 408), // Timer B
    });
    this.later(this.opts.cancelAfterMs ?? c.ringTimeoutMs, () => this.cancel());
  }

  /** A request inside this call from the far end (BYE, re-INVITE, ACK of our re-INVITE 2xx). */
  onRequest(req: SipRequest, source: Target): void {
    const reply = (status: number, sdp?: string): void => {
      const res = buildResponse(req, status, undefined, {
        headers: [{ name: 'Contact', value: this.id.contact }, ...(sdp ? [{ name: 'Content-Type', value: 'application/sdp' }] : [])],
        ...(sdp && { body: Buffer.from(sdp) }),
      });
      this.core.sip.send(serializeMessage(res), source);
    };
    switch (req.method) {
      case 'BYE':
        reply(200);
        if (this.state === 'confirmed' || this.state === 'cancelling') this.finish('remote-bye');
        return;
      case 'INVITE':
        return this.onReInvite(req, reply);
      case 'ACK':
        if (this.reinviteTx && getCSeq(req)?.seq === this.reinviteTx.seq) this.reinviteTx.tx.stop();
        return;
      default:
        reply(this.state === 'done' ? 481 : 200);
    }
  }

  /** stop(): end now, whatever the state (no BYE). */
  abort(): void {
    this.finish('stopped');
  }

  private onInviteResponse(res: SipResponse): void {
    if (res.status < 200) {
      if (this.state !== 'calling') return;
      this.inviteTx?.stop(); // Proceeding: no more retransmissions, and no Timer B (§17.1.1.2)
      this.state = 'proceeding';
      if (this.cancelWanted) this.cancel();
      return;
    }
    if (res.status < 300) this.on2xx(res);
    else this.onNon2xx(res);
  }

  private on2xx(res: SipResponse): void {
    const toTag = getToTag(res);
    if (this.finalStatus >= 200 && this.finalStatus < 300 && toTag === this.remoteTag) {
      if (this.ack) this.core.sip.send(this.ack, this.core.target); // the 2xx was retransmitted: our ACK got lost
      return;
    }
    if (this.finalStatus !== 0 || this.state === 'done') {
      this.core.log.debug({ callId: this.id.callId, status: res.status }, '2xx after the call was decided: ignored');
      return;
    }
    this.settle(res.status);
    this.remoteTag = toTag;
    const contact = parseNameAddr(res.headers.getAll('contact')[0] ?? '')?.uri;
    this.dialog = { to: res.headers.get('to') ?? this.id.to, remoteTarget: contact ?? this.id.requestUri, routeSet: res.headers.getAll('record-route').reverse() };
    this.ack = serializeMessage(buildInDialog('ACK', this.id, this.dialog, generateBranch(), this.id.inviteSeq));
    this.core.sip.send(this.ack, this.core.target);
    const remote = remoteFromSdp(res.body);
    if (remote) this.leg.start({ address: remote.address || this.core.target.address, port: remote.port, payloadType: remote.payloadType });
    const cancelled = this.state === 'cancelling';
    this.state = 'confirmed';
    if (cancelled) this.hangUp(); // answered while our CANCEL was on its way: ACK, then BYE (§9.1)
    else this.later(this.opts.holdMs, () => this.hangUp());
  }

  private onNon2xx(res: SipResponse): void {
    if (this.finalStatus >= 300) {
      if (this.ack) this.core.sip.send(this.ack, this.core.target); // retransmitted final: ACK again (Timer D period)
      return;
    }
    if (this.finalStatus !== 0 || this.state === 'done') return;
    const cancelled = this.state === 'cancelling';
    this.settle(res.status);
    this.ack = serializeMessage(buildSameBranch('ACK', this.id, this.inviteBranch, res.headers.get('to') ?? this.id.to));
    this.core.sip.send(this.ack, this.core.target);
    this.finish(cancelled || res.status === 487 ? 'cancelled' : 'rejected', res.status);
  }

  private settle(status: number): void {
    this.inviteTx?.stop();
    this.finalStatus = status;
    this.setupMs = performance.now() - this.startedAt;
  }

  private cancel(): void {
    if (this.state === 'calling') {
      this.cancelWanted = true; // §9.1: no CANCEL before a provisional; Timer B still runs
      return;
    }
    if (this.state !== 'proceeding') return;
    this.state = 'cancelling';
    const c = this.core;
    const bytes = serializeMessage(buildSameBranch('CANCEL', this.id, this.inviteBranch, this.id.to));
    const tx = startRetransmission({ timers: c.timers, timings: c.timings, retransmit: true, send: () => c.sip.send(bytes, c.target), onGiveUp: () => undefined });
    this.cancelTx = tx;
    c.txns.set(`${this.inviteBranch}|CANCEL`, (res) => (res.status < 200 ? tx.slowDown() : tx.stop()));
    // §9.1: no final response to the INVITE within 64·T1 of the CANCEL → the INVITE is given up.
    this.later(c.timings.tMax, () => {
      if (this.finalStatus === 0) this.finish('timeout', 408);
    });
  }

  private hangUp(): void {
    if (this.state !== 'confirmed' || !this.dialog) return;
    this.state = 'terminating';
    this.leg.stopSending();
    const c = this.core;
    const branch = generateBranch();
    const bytes = serializeMessage(buildInDialog('BYE', this.id, this.dialog, branch, this.id.inviteSeq + 1));
    const tx = startRetransmission({
      timers: c.timers, timings: c.timings, retransmit: true,
      send: () => c.sip.send(bytes, c.target),
      onGiveUp: () => this.finish('ivr-bye', undefined, 408), // Timer F
    });
    this.byeTx = tx;
    this.byeKey = `${branch}|BYE`;
    c.txns.set(this.byeKey, (res) => {
      if (res.status < 200) return tx.slowDown();
      this.finish('ivr-bye', undefined, res.status);
    });
  }

  /** A re-INVITE from the far end: answer with our (unchanged) media, follow its new address. */
  private onReInvite(req: SipRequest, reply: (status: number, sdp?: string) => void): void {
    if (this.state !== 'confirmed' && this.state !== 'terminating') return reply(this.state === 'done' ? 481 : 491);
    const seq = getCSeq(req)?.seq ?? 0;
    const remote = remoteFromSdp(req.body);
    if (remote) this.leg.start({ address: remote.address || this.core.target.address, port: remote.port, payloadType: remote.payloadType });
    this.reinviteTx?.tx.stop();
    this.sdpVersion++;
    const sdp = this.offer();
    const c = this.core;
    this.reinviteTx = { seq, tx: startRetransmission({ timers: c.timers, timings: c.timings, retransmit: true, send: () => reply(200, sdp), onGiveUp: () => undefined }) };
  }

  private offer(): string {
    return buildOffer(this.core.localAddress, this.leg.port, 1).replace(/^(o=\S+ \d+ )\d+/m, `$1${this.sdpVersion}`);
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(this.core.timers.after(ms, fn));
  }

  private finish(reason: IvrEndReason, status?: number, byeStatus?: number): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.endedBy = reason;
    if (status !== undefined && this.finalStatus === 0) this.finalStatus = status;
    if (byeStatus !== undefined) this.byeStatus = byeStatus;
    const c = this.core;
    for (const h of this.timers) c.timers.cancel(h);
    for (const tx of [this.inviteTx, this.cancelTx, this.byeTx, this.reinviteTx?.tx]) tx?.stop();
    // Keep answering retransmitted finals (re-ACK) for Timer D / the 2xx's 64·T1, then forget the call.
    c.timers.after(Math.min(c.timings.tMax, 32_000), () => {
      for (const m of ['INVITE', 'CANCEL']) c.txns.delete(`${this.inviteBranch}|${m}`);
    });
    if (this.byeKey) c.txns.delete(this.byeKey);
    void this.leg.close().then(() => this.resolve(this.result()));
  }

  private result(): IvrCallResult {
    const r = this.leg.stats();
    return {
      callId: this.id.callId, status: this.finalStatus, setupMs: this.setupMs, endedBy: this.endedBy,
      ...(this.byeStatus !== undefined && { byeStatus: this.byeStatus }),
      rtpSent: r.sent, rtpDropped: r.dropped, rtpReceived: r.received, rtpExpected: r.expected, rtpLost: r.lost, rtpTailLost: r.tailLost,
      rtpDuplicates: r.duplicates, rtpJitterMs: r.jitterMs, rtpMaxGapMs: r.maxGapMs,
    };
  }
}
