/**
 * The text of drachtio wire-protocol messages: parsing what an application sends and formatting what
 * the engine sends back. Field positions follow drachtio-server's client.cpp / SipMsgData_t and what
 * drachtio-srf's drachtio-agent.js reads (see shared/DRACHTIO-WIRE.md).
 */
import type { TransportProtocol } from '../../sip/message';
import { wireId } from './ids';

const CRLF = '\r\n';

/** A parsed application → engine frame: `<msgId>|<type>|<fields…>[\r\n<SIP>]`. */
export interface AppFrame {
  msgId: string;
  type: string;
  tokens: string[];
  /** Raw SIP text after the first CRLF, or '' when there is none. */
  sip: string;
}

export function parseAppFrame(payload: string): AppFrame | undefined {
  const cr = payload.indexOf('\r');
  const leader = cr === -1 ? payload : payload.slice(0, cr);
  const sip = cr === -1 ? '' : payload.slice(cr + 2);
  const tokens = leader.split('|');
  if (tokens.length < 2 || !tokens[0]) return undefined;
  return { msgId: tokens[0], type: tokens[1]!, tokens: tokens.slice(2), sip };
}

/** Metadata drachtio-server attaches to every SIP message it reports (SipMsgData_t). */
export interface MsgMeta {
  source: 'network' | 'application';
  bytes: number;
  protocol: TransportProtocol;
  address: string;
  port: number;
  time: string;
}

/** `HH:MM:SS.` of the last second formatted: every message in that second reuses it. */
let secondShown = -1;
let secondText = '';

/** `HH:MM:SS.uuuuuu` in UTC, as drachtio-server formats su_now(). */
export function wireTime(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== secondShown) {
    const d = new Date(second * 1000);
    const pad = (n: number): string => String(n).padStart(2, '0');
    secondText = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.`;
    secondShown = second;
  }
  const micros = (nowMs - second * 1000) * 1000 + Math.floor((performance.now() % 1) * 1000);
  return secondText + String(Math.floor(micros)).padStart(6, '0');
}

function metaText(m: MsgMeta): string {
  return `${m.source}|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${m.time}`;
}

/** `response|<appMsgId>|OK[|extra]` or `…|NO|reason` — answers to authenticate/route/ping. */
export function apiResponse(appMsgId: string, ok: boolean, extra?: string): string {
  return `${wireId()}|response|${appMsgId}|${ok ? 'OK' : 'NO'}${extra !== undefined ? `|${extra}` : ''}`;
}

/** Failure of a `sip` command; drachtio-agent treats anything but OK as an error. */
export function sipNok(appMsgId: string, reason: string): string {
  return `${wireId()}|response|${appMsgId}|NOK|${reason}`;
}

/** Echo of a request the application asked to send (drachtio-agent builds its Request from it). */
export function requestSentEcho(appMsgId: string, meta: MsgMeta, txnId: string, sip: string): string {
  return `${wireId()}|response|${appMsgId}|OK|${metaText(meta)}|${txnId}|Msg sent:|${CRLF}${sip}`;
}

/** Echo of a response the application asked to send; carries the dialog id for 1xx/2xx to INVITE. */
export function responseSentEcho(appMsgId: string, meta: MsgMeta, txnId: string, dialogId: string, sip: string): string {
  return `${wireId()}|response|${appMsgId}|OK|${metaText(meta)}|${txnId}|${dialogId}||Msg sent:|${CRLF}${sip}`;
}

/**
 * A SIP message from the network (or an unsolicited one from the engine) for the application.
 * New requests outside a dialog also carry the local address/port they arrived on.
 */
export function sipToApp(meta: MsgMeta, txnId: string, dialogId: string, sip: string, receivedOn?: { address: string; port: number }): string {
  const local = receivedOn ? `${receivedOn.address}|${receivedOn.port}|` : '';
  return `${wireId()}|sip|${metaText(meta)}|${txnId}|${dialogId}|${local}${CRLF}${sip}`;
}

/** cdr:attempt|source|time, cdr:start|source|time|role, cdr:stop|source|time|reason. */
export function cdrEvent(kind: 'attempt' | 'start' | 'stop', source: string, time: string, extra: string | undefined, sip: string): string {
  const tail = kind === 'attempt' ? '' : `|${extra ?? ''}`;
  return `${wireId()}|cdr:${kind}|${source}|${time}${tail}${CRLF}${sip}`;
}
