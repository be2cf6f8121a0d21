/**
 * What the server side and the client side of the engine core share: the layers below and above,
 * configuration, and small helpers for talking to applications.
 */
import type { SipMessage, Target } from '../../sip/message';
import type { Clock, TimerConfig } from '../transaction/types';
import type { TransportLayer, LocalPoint } from '../transport/layer';
import type { WireClient, WireServer } from '../wire/server';
import type { DialogStore } from '../dialog/dialog';
import type { EngineLogger } from '../logger';
import { serializeMessage } from '../../sip/serializer';
import { wireTime, type MsgMeta } from '../wire/protocol';
import type { CdrEmitter } from './cdr';

export interface SpammerRules {
  udpAction: 'reject' | 'discard';
  tcpAction: 'reject' | 'discard';
  /** Lower-case header name → substrings that mark a spammer. */
  headers: ReadonlyArray<{ name: string; values: readonly string[] }>;
}

/** What the core needs from the transport layer (the real one, or a recording fake in unit tests). */
export type CoreTransport = Pick<TransportLayer, 'send' | 'isReliable' | 'localFor' | 'listeners'> & Partial<Pick<TransportLayer, 'sendBytes'>>;

/** What the core needs from the wire-protocol server. */
export type CoreWire = Pick<WireServer, 'selectClient' | 'clientsFor'>;

/** RFC 4028 settings (drachtio.conf.xml `<session-timers default-refresher>`). */
export interface SessionTimerSettings {
  /** Our Min-SE in seconds: smaller Session-Expires offers get 422 (RFC 4028 §9). RFC minimum 90. */
  minSE: number;
  /** Who refreshes when the UAC's offer names no refresher; 'none' = do not run a timer (drachtio's default). */
  defaultRefresher: 'uac' | 'uas' | 'none';
}

export const DEFAULT_SESSION_TIMERS: Readonly<SessionTimerSettings> = Object.freeze({ minSE: 90, defaultRefresher: 'none' });

export interface EngineBehaviour {
  /** OPTIONS whose User-Agent contains this string get 200 even with no app routed (drachtio config). */
  userAgentOptionsAutoRespond: string | undefined;
  /** Requests whose header matches are rejected (603) or dropped (drachtio's <spammers>). */
  spammers: SpammerRules | undefined;
  /** drachtio's <cdrs>: cdr:* events are sent only when enabled. */
  cdrs: boolean;
  /** Sent as Server/User-Agent when the app gave none; undefined = do not add. */
  userAgent: string | undefined;
  /** RFC 4028 session timers; defaults: DEFAULT_SESSION_TIMERS. */
  sessionTimers?: Partial<SessionTimerSettings>;
  /**
   * When an application disconnects, end its calls: BYE its confirmed dialogs and CANCEL the INVITEs
   * it sent that have no final response yet. For an app that keeps call state (and trunkwise's media
   * relay) in its own process, a call cannot outlive it. Off by default: the dialogs stay, as
   * drachtio-server leaves them, and the engine answers their in-dialog requests itself.
   */
  endCallsOfGoneApp?: boolean;
}

export interface CoreContext {
  transport: CoreTransport;
  wire: CoreWire;
  dialogs: DialogStore;
  clock: Clock;
  timers: TimerConfig;
  logger: EngineLogger;
  behaviour: EngineBehaviour;
  cdr: CdrEmitter;
}

export function metaFor(source: MsgMeta['source'], target: Target, bytes: number): MsgMeta {
  return { source, bytes, protocol: target.protocol, address: target.address, port: target.port, time: wireTime() };
}

/** Serialize for the app, and the byte count drachtio reports. */
export function encode(msg: SipMessage): { text: string; bytes: number } {
  const buf = serializeMessage(msg);
  return { text: buf.toString('utf8'), bytes: buf.length };
}

export function hostport(p: LocalPoint): string {
  return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

/** Our Contact for a transport: `<sip:host:port>` (UDP) or `<sip:host:port;transport=tcp>`. */
export function contactFor(p: LocalPoint): string {
  return p.protocol === 'udp' ? `<sip:${hostport(p)}>` : `<sip:${hostport(p)};transport=${p.protocol}>`;
}

export function safeSend(client: WireClient | undefined, payload: string): void {
  if (client?.alive) client.send(payload);
}
