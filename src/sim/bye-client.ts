/**
 * The carrier hangs up (hangup mode): BYE as a non-INVITE client transaction (RFC 3261 §17.1.2):
 * Timer E retransmits at T1 doubling to T2 (UDP only), a provisional moves it to T2, a final
 * response ends it, Timer F gives up after 64·T1. Either way the call is over afterwards.
 */
import { generateBranch, stripTag } from '../sip/headers';
import { SipHeaders, type SipRequest } from '../sip/message';
import { serializeMessage } from '../sip/serializer';
import type { Call } from './call';
import type { CarrierContext } from './context';
import { destroyCall } from './invite-server';
import { SERVER } from './responses';
import { startRetransmission } from './timers';

export function sendBye(ctx: CarrierContext, call: Call): void {
  if (call.bye || call.state !== 'confirmed') return;
  const branch = generateBranch();
  const inv = call.invite.headers;
  const headers = new SipHeaders();
  headers.append('Via', ctx.via(call.protocol, branch));
  headers.append('Max-Forwards', '70');
  // Our side of the dialog: the INVITE's To with our tag; theirs: the INVITE's From as sent.
  headers.append('From', `${stripTag(inv.get('to') ?? '')};tag=${call.localTag}`);
  headers.append('To', inv.get('from') ?? '');
  headers.append('Call-ID', call.callId);
  call.localSeq++;
  headers.append('CSeq', `${call.localSeq} BYE`);
  headers.append('User-Agent', SERVER);
  const req: SipRequest = { kind: 'request', method: 'BYE', uri: call.remoteUri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
  const bytes = serializeMessage(req);
  ctx.counters.byesSent++;
  ctx.log.debug({ callId: call.callId }, 'carrier hangs up: BYE');
  const tx = startRetransmission({
    timers: ctx.timers, timings: ctx.timings, retransmit: call.protocol === 'udp',
    send: () => ctx.sendBytes(call.remoteTarget, bytes),
    onGiveUp: () => {
      ctx.counters.byeTimeouts++;
      ctx.log.warn({ callId: call.callId }, 'no response to BYE within 64*T1');
      destroyCall(ctx, call);
    },
  });
  call.bye = { branch, tx };
  ctx.clientTxns.set(branch, {
    onResponse: (status) => {
      if (status < 200) return tx.slowDown();
      destroyCall(ctx, call);
    },
  });
}
