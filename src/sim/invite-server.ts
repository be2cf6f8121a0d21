/**
 * The initial INVITE server transaction and its call (RFC 3261 §17.2.1, §13.3.1): a new INVITE runs
 * the carrier's mode; a retransmitted one gets the last response again; finals are retransmitted
 * until the ACK (2xx on every transport, by the UAS core; non-2xx on UDP only, Timer G) and given up
 * after 64·T1 (Timer H). CANCEL ends a call that has not answered yet with 487.
 */
import { generateTag, getCSeq, getFromTag, parseNameAddr, parseSipUri } from '../sip/headers';
import { serializeMessage } from '../sip/serializer';
import { startRetransmission } from './timers';
import { dialogKey, type Call } from './call';
import type { CarrierContext, InboundRequest } from './context';
import { simResponse } from './responses';
import { buildAnswer, remoteFromSdp } from './sdp';
import { countRejected } from './stats';
import type { SendTarget } from './transport';

export function onInitialInvite(ctx: CarrierContext, inb: InboundRequest): void {
  const existing = ctx.calls.byInvite(inb.key);
  if (existing) {
    ctx.counters.inviteRetransmissions++;
    if (existing.lastResponse) ctx.sendBytes(existing.reply, existing.lastResponse);
    return;
  }
  ctx.counters.invites++;
  ctx.counters.lastInviteAt = Date.now();
  const b = ctx.behaviour();
  if (ctx.calls.size >= ctx.maxCalls) {
    ctx.log.warn({ maxCalls: ctx.maxCalls }, 'call table full: INVITE refused with 503');
    ctx.reply(inb, simResponse(inb.req, 503, { extra: [{ name: 'Retry-After', value: '5' }] }));
    return;
  }
  const call = createCall(ctx, inb);
  ctx.calls.add(call);
  ctx.log.debug({ callId: call.callId, mode: b.mode }, 'new INVITE');
  if (b.mode === 'silent') {
    call.state = 'silent';
    call.lifetime = ctx.timers.after(ctx.timings.tMax, () => destroyCall(ctx, call));
    return;
  }
  call.lifetime = ctx.timers.after(ctx.timings.maxCallMs, () => {
    ctx.log.warn({ callId: call.callId }, 'call exceeded maxCallMs: state dropped');
    destroyCall(ctx, call);
  });
  later(ctx, call, b.extraDelayMs, () => proceed(ctx, call));
}

function createCall(ctx: CarrierContext, inb: InboundRequest): Call {
  const { req } = inb;
  const callId = req.headers.get('call-id') ?? '';
  const remoteTag = getFromTag(req) ?? '';
  const localTag = generateTag();
  const protocol = inb.source.protocol;
  const contactUri = parseNameAddr(req.headers.getAll('contact')[0] ?? '')?.uri ?? parseNameAddr(req.headers.get('from') ?? '')?.uri ?? req.uri;
  const behaviour = ctx.behaviour();
  return {
    callId, remoteTag, localTag, dialogKey: dialogKey(callId, remoteTag, localTag),
    inviteKey: inb.key, inviteSeq: getCSeq(req)?.seq ?? 0, invite: req, protocol, reply: inb.target,
    remoteUri: contactUri, remoteTarget: remoteTargetFor(contactUri, inb),
    behaviour, media: ctx.openMedia(callId, behaviour),
    sdpSessionId: Math.floor(Math.random() * 1e9), sdpVersion: 1, state: 'delaying', localSeq: 0,
  };
}

/** UDP: the Contact's host:port. TCP: the connection the INVITE came on, else a new one to the Contact port. */
function remoteTargetFor(contactUri: string, inb: InboundRequest): SendTarget {
  const uri = parseSipUri(contactUri);
  const port = uri?.port ?? 5060;
  if (inb.source.protocol === 'tcp') return { protocol: 'tcp', address: inb.source.address, port: inb.source.port, fallbackPort: port };
  if (!uri || !uri.host || uri.scheme === 'tel') return inb.target;
  return { protocol: 'udp', address: uri.host.replace(/^\[|\]$/g, ''), port };
}

function later(ctx: CarrierContext, call: Call, ms: number, fn: () => void): void {
  ctx.timers.cancel(call.step);
  call.step = undefined;
  if (ms <= 0) fn();
  else call.step = ctx.timers.after(ms, fn);
}

function proceed(ctx: CarrierContext, call: Call): void {
  call.state = 'proceeding';
  provisional(ctx, call, 100);
  const b = call.behaviour;
  switch (b.mode) {
    case 'answer':
    case 'hangup':
      provisional(ctx, call, 180);
      later(ctx, call, b.ringMs, () => accept(ctx, call));
      break;
    case 'reject':
      if (b.ringMs > 0) provisional(ctx, call, 180);
      later(ctx, call, b.ringMs, () => finalNon2xx(ctx, call, b.rejectCode, 'rejected'));
      break;
    case 'noanswer':
      provisional(ctx, call, 180);
      break;
    case 'silent':
      break;
  }
}

function provisional(ctx: CarrierContext, call: Call, status: number): void {
  const res = simResponse(call.invite, status, status === 100 ? {} : { toTag: call.localTag, contact: ctx.contact(call.protocol) });
  call.lastResponse = serializeMessage(res);
  ctx.sendBytes(call.reply, call.lastResponse);
}

/** Answer once the media port is final (a real RTP socket binds asynchronously); no port → 503. */
function accept(ctx: CarrierContext, call: Call): void {
  const ready = call.media.ready;
  if (!ready) return acceptNow(ctx, call);
  const stillRinging = (): boolean => ctx.calls.byInvite(call.inviteKey) === call && call.state === 'proceeding';
  ready.then(
    () => {
      if (stillRinging()) guarded(ctx, () => acceptNow(ctx, call));
    },
    () => {
      if (stillRinging()) guarded(ctx, () => finalNon2xx(ctx, call, 503, 'rejected'));
    },
  );
}

function guarded(ctx: CarrierContext, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    ctx.counters.malformed++;
    ctx.log.error({ err }, 'deferred answer failed');
  }
}

function acceptNow(ctx: CarrierContext, call: Call): void {
  const answer = buildAnswer(call.invite.body, call.media, { sessionId: call.sdpSessionId, version: call.sdpVersion++ });
  if (!answer.ok) {
    ctx.log.info({ callId: call.callId, reason: answer.reason }, 'SDP offer not acceptable: 488');
    finalNon2xx(ctx, call, 488, 'rejected');
    return;
  }
  if (answer.remote) call.media.update(answer.remote);
  call.state = 'accepted';
  ctx.counters.answered++;
  const bytes = serializeMessage(simResponse(call.invite, 200, { toTag: call.localTag, contact: ctx.contact(call.protocol), sdp: answer.sdp, capabilities: true }));
  call.lastResponse = bytes;
  call.finalTx = startRetransmission({
    timers: ctx.timers, timings: ctx.timings, retransmit: true,
    send: () => ctx.sendBytes(call.reply, bytes),
    onGiveUp: () => {
      ctx.counters.ackTimeouts++;
      ctx.log.warn({ callId: call.callId }, 'no ACK for the 2xx within 64*T1: call dropped');
      destroyCall(ctx, call);
    },
  });
}

export function finalNon2xx(ctx: CarrierContext, call: Call, status: number, outcome: 'rejected' | 'cancelled'): void {
  ctx.timers.cancel(call.step);
  call.step = undefined;
  call.state = 'completed';
  if (outcome === 'cancelled') ctx.counters.cancelled++;
  else countRejected(ctx.counters, status);
  const bytes = serializeMessage(simResponse(call.invite, status, { toTag: call.localTag }));
  call.lastResponse = bytes;
  call.finalTx = startRetransmission({
    timers: ctx.timers, timings: ctx.timings, retransmit: call.protocol === 'udp',
    send: () => ctx.sendBytes(call.reply, bytes),
    onGiveUp: () => destroyCall(ctx, call), // Timer H
  });
}

/** ACK: for a non-2xx it ends the transaction; for the 2xx (matched by dialog + CSeq) it confirms the call. */
export function onAck(ctx: CarrierContext, inb: InboundRequest, dialog: string | undefined): void {
  const call = (dialog !== undefined ? ctx.calls.byDialog(dialog) : undefined) ?? ctx.calls.byInvite(inb.key);
  if (!call) return; // stray ACK: never answered
  const seq = getCSeq(inb.req)?.seq;
  if (call.state === 'completed' && (seq === call.inviteSeq || inb.key === call.inviteKey)) {
    destroyCall(ctx, call);
    return;
  }
  if (call.state === 'accepted' && seq === call.inviteSeq) {
    call.finalTx?.stop();
    call.state = 'confirmed';
    // Late offer: our offer went in the 2xx, the answer comes in the ACK (RFC 3264 §5, RFC 3261 §13.2.1).
    const remote = inb.req.body.length > 0 ? remoteFromSdp(inb.req.body) : undefined;
    if (remote) call.media.update(remote);
    const b = call.behaviour;
    if (b.mode === 'hangup' && b.holdMs > 0) later(ctx, call, b.holdMs, () => ctx.sendBye(call));
    return;
  }
  const re = call.reinvite;
  if (re && !re.acked && seq === re.seq) {
    re.tx.stop();
    re.acked = true;
  }
}

/** CANCEL (its own transaction, same branch as the INVITE): 200, and 487 if no final was sent yet. */
export function onCancel(ctx: CarrierContext, inb: InboundRequest): void {
  const call = ctx.calls.byInvite(inb.key);
  if (!call) {
    ctx.reply(inb, simResponse(inb.req, 481));
    return;
  }
  if (call.state === 'silent') return; // a silent carrier ignores the whole transaction
  ctx.reply(inb, simResponse(inb.req, 200, { toTag: call.localTag }));
  if (call.state === 'delaying' || call.state === 'proceeding') finalNon2xx(ctx, call, 487, 'cancelled');
}

/** Forget a call: stop its timers and retransmissions, release media; remember an established dialog. */
export function destroyCall(ctx: CarrierContext, call: Call): void {
  if (call.state === 'accepted' || call.state === 'confirmed') ctx.ended.set(call.dialogKey, true);
  call.finalTx?.stop();
  call.reinvite?.tx.stop();
  if (call.bye) {
    call.bye.tx.stop();
    ctx.clientTxns.delete(call.bye.branch);
  }
  ctx.timers.cancel(call.step);
  ctx.timers.cancel(call.lifetime);
  call.media.close();
  ctx.calls.remove(call);
}
