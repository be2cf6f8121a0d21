/** What the request handlers (invite-server, dialog-server, bye-client) get from their carrier. */
import type { Logger } from 'pino';
import type { SipMessage, SipRequest, Target } from '../sip/message';
import type { Behaviour } from './behaviour';
import type { Call, CallTable } from './call';
import type { ExpiringMap } from './expiring-map';
import type { MediaEndpoint, MediaFactory } from './media';
import type { CarrierCounters } from './stats';
import type { SimTimings, TimerSet } from './timers';
import type { SendTarget } from './transport';

/** A non-INVITE server transaction: its response is resent for every retransmitted request. */
export interface TxnEntry {
  target: SendTarget;
  response?: Buffer;
}

export interface InboundRequest {
  /** The request with its top Via stamped (received / rport). */
  req: SipRequest;
  source: Target;
  /** Where responses go (RFC 3261 §18.2.2). */
  target: SendTarget;
  /** Transaction key without the method: top Via branch + sent-by. */
  key: string;
  txn?: TxnEntry;
}

export interface ClientTxnHandler {
  onResponse(status: number): void;
}

export interface CarrierContext {
  readonly id: string;
  readonly log: Logger;
  readonly timings: SimTimings;
  readonly timers: TimerSet;
  readonly counters: CarrierCounters;
  readonly calls: CallTable;
  /** Dialogs ended in the last 64·T1: a late BYE for them still gets 200. */
  readonly ended: ExpiringMap<true>;
  /** Carrier-sent requests (BYE) by Via branch. */
  readonly clientTxns: Map<string, ClientTxnHandler>;
  readonly media: MediaFactory;
  readonly maxCalls: number;
  /** Open the call's media endpoint through `media`, with this carrier's RTP settings and counters. */
  openMedia(callId: string, behaviour: Behaviour): MediaEndpoint;
  behaviour(): Behaviour;
  /** Our Contact for a dialog on this transport. */
  contact(protocol: 'udp' | 'tcp'): string;
  /** Our Via for a request we send. */
  via(protocol: 'udp' | 'tcp', branch: string): string;
  sendBytes(target: SendTarget, bytes: Buffer): void;
  /** The carrier hangs up (hangup mode). */
  sendBye(call: Call): void;
  /** Serialise, send, and remember in the request's transaction (if any). */
  reply(inb: InboundRequest, msg: SipMessage): Buffer;
}
