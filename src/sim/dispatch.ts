/**
 * Every inbound message, in order: count → drop (dropPercent) → parse (malformed: 400 or drop) →
 * responses to our BYE → stamp the Via → non-INVITE retransmission absorbed by its transaction →
 * Require check → the method's handler.
 */
import { getBranch, getCallId, getCSeq, getFromTag, getToTag, getTopVia } from '../sip/headers';
import type { SipRequest, Target } from '../sip/message';
import { parseMessage, type ParseResult } from '../sip/parser';
import { buildResponseFromPartial } from '../sip/response-builder';
import { serializeMessage } from '../sip/serializer';
import { dialogKey } from './call';
import type { CarrierContext, InboundRequest, TxnEntry } from './context';
import { onBye, onReInvite, onUpdateOrInfo } from './dialog-server';
import type { ExpiringMap } from './expiring-map';
import { onAck, onCancel, onInitialInvite } from './invite-server';
import { shouldDrop, type Random } from './prng';
import { routeReply, stampRequest } from './reply-route';
import { simResponse } from './responses';
import type { Inbound } from './transport';

/** Methods we recognise but do not support → 405; anything else → 501 (RFC 3261 §8.2.1, §21.5.2). */
const KNOWN_UNSUPPORTED = new Set(['REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'REFER']);

export interface DispatchContext extends CarrierContext {
  readonly random: Random;
  readonly txns: ExpiringMap<TxnEntry>;
}

export function handleInbound(ctx: DispatchContext, m: Inbound): void {
  ctx.counters.packetsReceived++;
  if (shouldDrop(ctx.random, ctx.behaviour().dropPercent)) {
    ctx.counters.droppedPackets++;
    return;
  }
  if (isWhitespace(m.data)) return; // CRLF keep-alive on UDP
  const parsed = parseMessage(m.data);
  if (!parsed.ok) return malformed(ctx, m.source, parsed);
  const msg = parsed.message;
  if (msg.kind === 'response') {
    const branch = getBranch(msg);
    if (branch !== undefined) ctx.clientTxns.get(branch)?.onResponse(msg.status);
    return;
  }
  handleRequest(ctx, msg, m.source);
}

/** A stream that could not be framed counts as malformed input (the transport closes it). */
export function framingError(ctx: DispatchContext, source: Target, error: string): void {
  ctx.counters.malformed++;
  ctx.log.debug({ source, error }, 'unframeable stream closed');
}

function handleRequest(ctx: DispatchContext, req: SipRequest, source: Target): void {
  const route = routeReply(req.headers.getAll('via')[0] ?? '', source);
  const via = getTopVia(req);
  if (!route || !via) return void ctx.counters.malformed++;
  stampRequest(req, route);
  const key = `${via.branch ?? `nobranch:${getCallId(req)}:${getCSeq(req)?.seq}`}|${via.host}:${via.port ?? ''}`;
  const inb: InboundRequest = { req, source, target: route.target, key };
  const method = req.method;
  const toTag = getToTag(req);
  const dialog = toTag === undefined ? undefined : dialogKey(getCallId(req) ?? '', getFromTag(req) ?? '', toTag);
  if (method === 'ACK') return onAck(ctx, inb, dialog);

  if (method !== 'INVITE') {
    const txnKey = `${method}|${key}`;
    const txn = ctx.txns.get(txnKey);
    if (txn) {
      if (txn.response) ctx.sendBytes(txn.target, txn.response);
      return;
    }
    inb.txn = { target: route.target };
    ctx.txns.set(txnKey, inb.txn);
  }

  const require = req.headers.getAll('require');
  if (require.length > 0 && method !== 'CANCEL') {
    ctx.reply(inb, simResponse(req, 420, { extra: [{ name: 'Unsupported', value: require.join(', ') }] }));
    return;
  }

  switch (method) {
    case 'INVITE':
      return dialog ? onReInvite(ctx, inb, dialog) : onInitialInvite(ctx, inb);
    case 'CANCEL':
      return onCancel(ctx, inb);
    case 'BYE':
      return dialog ? onBye(ctx, inb, dialog) : void ctx.reply(inb, simResponse(req, 481));
    case 'UPDATE':
    case 'INFO':
      return dialog ? onUpdateOrInfo(ctx, inb, dialog) : void ctx.reply(inb, simResponse(req, 481));
    case 'OPTIONS':
      return onOptions(ctx, inb);
    default:
      ctx.reply(inb, simResponse(req, KNOWN_UNSUPPORTED.has(method) ? 405 : 501, { capabilities: true }));
  }
}

function onOptions(ctx: DispatchContext, inb: InboundRequest): void {
  ctx.counters.options++;
  ctx.counters.lastOptionsAt = Date.now();
  const b = ctx.behaviour();
  if (b.optionsCode === 0) return; // retransmissions are absorbed by the (response-less) transaction
  const send = (): void => void ctx.reply(inb, simResponse(inb.req, b.optionsCode, { capabilities: true }));
  if (b.extraDelayMs > 0) ctx.timers.after(b.extraDelayMs, send);
  else send();
}

function malformed(ctx: DispatchContext, source: Target, parsed: Extract<ParseResult, { ok: false }>): void {
  ctx.counters.malformed++;
  const partial = parsed.request;
  const topVia = partial?.headers.getAll('via')[0];
  const route = topVia === undefined ? undefined : routeReply(topVia, source);
  ctx.log.debug({ source, error: parsed.error, answered: Boolean(partial && route && partial.method !== 'ACK') }, 'malformed message');
  if (!partial || !route || partial.method === 'ACK') return;
  const vias = partial.headers.getAll('via');
  vias[0] = route.topVia;
  partial.headers.set('Via', vias.join(', '));
  const reason = `Bad Request (${parsed.error.replace(/[\r\n]/g, ' ').slice(0, 100)})`;
  ctx.sendBytes(route.target, serializeMessage(buildResponseFromPartial(partial, 400, reason)));
}

function isWhitespace(b: Buffer): boolean {
  for (const c of b) if (c !== 0x0d && c !== 0x0a && c !== 0x20 && c !== 0x09) return false;
  return true;
}
