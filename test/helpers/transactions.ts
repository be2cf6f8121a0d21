/** Shared fixtures for the transaction unit tests: a recording transport and message builders. */
import { SipHeaders, type SipRequest, type SipResponse, type Target } from '../../src/sip/message';
import type { TransactionTransport } from '../../src/engine/transaction/types';
import { serializeMessage } from '../../src/sip/serializer';

export const UDP: Target = { protocol: 'udp', address: '127.0.0.1', port: 5099 };
export const TCP: Target = { protocol: 'tcp', address: '127.0.0.1', port: 5099 };

export interface Sent {
  at: number;
  msg: SipRequest | SipResponse;
}

export function recorder(now: () => number): TransactionTransport & { sent: Sent[] } {
  const sent: Sent[] = [];
  return { sent, send: (msg) => void sent.push({ at: now(), msg }), isReliable: (t) => t.protocol !== 'udp' };
}

export interface WireCopy {
  at: number;
  /** Start line: `SIP/2.0 486 x`, `ACK sip:… SIP/2.0`. */
  first: string;
  bytes: Buffer;
  /** Sent from bytes a transaction kept (sendBytes), not from a message. */
  kept: boolean;
}

/** A transport that offers sentBytes/sendBytes as the engine's does, recording every send as the bytes on the wire. */
export function byteTransport(now: () => number): TransactionTransport & { wire: WireCopy[] } {
  const wire: WireCopy[] = [];
  const rec = (bytes: Buffer, kept: boolean): void => void wire.push({ at: now(), first: bytes.toString('latin1').split('\r\n', 1)[0]!, bytes, kept });
  return {
    wire,
    send: (msg) => rec(serializeMessage(msg, true), false),
    isReliable: (t) => t.protocol !== 'udp',
    sentBytes: (msg) => serializeMessage(msg, true),
    sendBytes: (bytes) => rec(bytes, true),
  };
}

export function request(method: string, extra: Array<[string, string]> = []): SipRequest {
  const h = new SipHeaders([
    { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtest1;rport' },
    { name: 'From', value: '<sip:a@127.0.0.1>;tag=from1' },
    { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: 'call-1' },
    { name: 'CSeq', value: `7 ${method}` },
    { name: 'Route', value: '<sip:proxy.example;lr>' },
    ...extra.map(([name, value]) => ({ name, value })),
  ]);
  return { kind: 'request', method, uri: 'sip:b@127.0.0.1:5099', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export function response(req: SipRequest, status: number, toTag = 'to1'): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getAll('via')) h.append('Via', v);
  h.append('From', req.headers.get('from')!);
  h.append('To', status > 100 ? `${req.headers.get('to')!};tag=${toTag}` : req.headers.get('to')!);
  h.append('Call-ID', req.headers.get('call-id')!);
  h.append('CSeq', req.headers.get('cseq')!);
  return { kind: 'response', status, reason: 'x', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export function events() {
  const log: string[] = [];
  return {
    log,
    client: {
      onResponse: (r: SipResponse) => void log.push(`response ${r.status}`),
      onFailure: (why: string) => void log.push(`failure ${why}`),
      onTerminated: () => void log.push('terminated'),
    },
    server: {
      onAckTimeout: () => void log.push('ack-timeout'),
      onAck: () => void log.push('ack'),
      onTransportError: () => void log.push('transport-error'),
      onTerminated: () => void log.push('terminated'),
    },
  };
}
