/**
 * Requests inside a dialog the carrier has accepted: BYE (200 and the call ends; a BYE for a dialog
 * ended in the last 64·T1 still gets 200; unknown → 481), re-INVITE (200 with a new SDP version,
 * retransmitted until its ACK), UPDATE and INFO (200; an UPDATE offer gets an SDP answer).
 */
import { getCSeq } from '../sip/headers';
import { serializeMessage } from '../sip/serializer';
import type { Call } from './call';
import type { CarrierContext, InboundRequest } from './context';
import { destroyCall, finalNon2xx } from './invite-server';
import { simResponse } from './responses';
import { buildAnswer } from './sdp';
import { startRetransmission } from './timers';

export function onBye(ctx: CarrierContext, inb: InboundRequest, dialog: string): void {
  const call = ctx.calls.byDialog(dialog);
  if (!call || call.state === 'silent' || call.state === 'completed') {
    ctx.reply(inb, simResponse(inb.req, ctx.ended.has(dialog) ? 200 : 481));
    return;
  }
  ctx.counters.byesReceived++;
  ctx.reply(inb, simResponse(inb.req, 200));
  // A BYE in the early dialog (after our 180 with its To-tag) also ends the INVITE: 487 (§15.1.2).
  if (call.state === 'delaying' || call.state === 'proceeding') finalNon2xx(ctx, call, 487, 'cancelled');
  else destroyCall(ctx, call);
}

export function onReInvite(ctx: CarrierContext, inb: InboundRequest, dialog: string): void {
  const call = ctx.calls.byDialog(dialog);
  if (!call || call.state === 'silent' || call.state === 'completed') {
    ctx.reply(inb, simResponse(inb.req, 481));
    return;
  }
  const pending = call.reinvite;
  if (pending && pending.key === inb.key) {
    ctx.counters.inviteRetransmissions++;
    ctx.sendBytes(inb.target, pending.response);
    return;
  }
  // §14.2: an INVITE while another INVITE transaction is unfinished → 491.
  if (call.state !== 'confirmed' || (pending && !pending.acked)) {
    ctx.reply(inb, simResponse(inb.req, 491));
    return;
  }
  const sdp = answerFor(ctx, call, inb);
  if (sdp === undefined) return;
  const response = serializeMessage(simResponse(inb.req, 200, { contact: ctx.contact(call.protocol), sdp, capabilities: true }));
  const txn = {
    key: inb.key, seq: getCSeq(inb.req)?.seq ?? 0, response, acked: false,
    tx: startRetransmission({
      timers: ctx.timers, timings: ctx.timings, retransmit: true,
      send: () => ctx.sendBytes(inb.target, response),
      onGiveUp: () => void (txn.acked = true), // the call stays up; only the re-INVITE is abandoned
    }),
  };
  call.reinvite = txn;
}

export function onUpdateOrInfo(ctx: CarrierContext, inb: InboundRequest, dialog: string): void {
  const call = ctx.calls.byDialog(dialog);
  if (!call || call.state === 'silent' || call.state === 'completed') {
    ctx.reply(inb, simResponse(inb.req, 481));
    return;
  }
  const isOffer = inb.req.method === 'UPDATE' && /application\/sdp/i.test(inb.req.headers.get('content-type') ?? '') && inb.req.body.length > 0;
  if (!isOffer) {
    ctx.reply(inb, simResponse(inb.req, 200));
    return;
  }
  const sdp = answerFor(ctx, call, inb);
  if (sdp !== undefined) ctx.reply(inb, simResponse(inb.req, 200, { contact: ctx.contact(call.protocol), sdp }));
}

/** SDP answer for an in-dialog offer, or undefined after replying 488. */
function answerFor(ctx: CarrierContext, call: Call, inb: InboundRequest): string | undefined {
  const answer = buildAnswer(inb.req.body, call.media, { sessionId: call.sdpSessionId, version: call.sdpVersion++ });
  if (!answer.ok) {
    ctx.reply(inb, simResponse(inb.req, 488));
    return undefined;
  }
  if (answer.remote) call.media.update(answer.remote);
  return answer.sdp;
}
