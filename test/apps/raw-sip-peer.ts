/**
 * A scriptable SIP endpoint on a real UDP socket for engine tests that need exact control over what
 * the far end sends and when (SIPp cannot, e.g., withhold an ACK while answering retransmissions, or
 * put a `tel:` URI in its Contact). It parses what it receives with the project's codec.
 */
import dgram from 'node:dgram';
import { parseMessage } from '../../src/sip/parser';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';

export interface Received {
  message: SipMessage;
  text: string;
  at: number;
  from: { address: string; port: number };
}

export class RawSipPeer {
  readonly received: Received[] = [];
  private waiters: Array<{ match: (r: Received) => boolean; resolve: (r: Received) => void; seen: number }> = [];

  private constructor(private readonly socket: dgram.Socket, readonly port: number) {
    socket.on('message', (buf, rinfo) => {
      const p = parseMessage(buf);
      if (!p.ok) return;
      const r: Received = { message: p.message, text: buf.toString('utf8'), at: Date.now(), from: { address: rinfo.address, port: rinfo.port } };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  static async open(): Promise<RawSipPeer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    return new RawSipPeer(s, s.address().port);
  }

  send(text: string, port: number, address = '127.0.0.1'): void {
    this.socket.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), port, address);
  }

  /** The first message (already received or still to come) that matches; rejects after timeoutMs. */
  wait(match: (r: Received) => boolean, timeoutMs: number, what = 'message'): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r); }, seen: 0 });
    });
  }

  count(match: (r: Received) => boolean): number {
    return this.received.filter(match).length;
  }

  close(): void {
    try { this.socket.close(); } catch { /* already closed */ }
  }
}

export const isResponse = (status: number, method?: string) => (r: Received): boolean =>
  r.message.kind === 'response' && (r.message as SipResponse).status === status &&
  (method === undefined || new RegExp(`\\s${method}$`, 'i').test(r.message.headers.get('cseq') ?? ''));

export const isRequest = (method: string) => (r: Received): boolean =>
  r.message.kind === 'request' && (r.message as SipRequest).method === method;

let seq = 0;
/** Unique branch / tag / Call-ID for a test dialog. */
export function ids(prefix = 't'): { branch: string; tag: string; callId: string } {
  seq += 1;
  const n = `${prefix}${process.pid}x${seq}x${Math.floor(Math.random() * 1e9)}`;
  return { branch: `z9hG4bK${n}`, tag: `tag${n}`, callId: `${n}@raw-peer` };
}

export const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=sendrecv', ''].join('\r\n');

export interface InviteOptions {
  peerPort: number;
  target: { address: string; port: number };
  branch: string;
  tag: string;
  callId: string;
  cseq?: number;
  contact?: string;
  toTag?: string;
  method?: string;
  extra?: string[];
  body?: string;
}

/** A request as the far end would write it (Content-Length computed). */
export function request(o: InviteOptions): string {
  const method = o.method ?? 'INVITE';
  const body = o.body ?? (method === 'INVITE' ? SDP : '');
  const lines = [
    `${method} sip:svc@${o.target.address}:${o.target.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.peerPort};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.1:${o.peerPort}>;tag=${o.tag}`,
    `To: <sip:svc@${o.target.address}:${o.target.port}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq ?? 1} ${method === 'ACK' ? 'ACK' : method}`,
    `Contact: ${o.contact ?? `<sip:peer@127.0.0.1:${o.peerPort}>`}`,
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** A response to a request the peer received (its Via/From/To/Call-ID/CSeq), as the far end writes it. */
export function response(req: SipMessage, status: number, reason: string, o: { toTag?: string; extra?: string[]; body?: string; contactPort?: number } = {}): string {
  const to = req.headers.get('to') ?? '';
  const body = o.body ?? '';
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...req.headers.getAll('via').map((v) => `Via: ${v}`),
    `From: ${req.headers.get('from')}`,
    `To: ${o.toTag && !/;tag=/.test(to) ? `${to};tag=${o.toTag}` : to}`,
    `Call-ID: ${req.headers.get('call-id')}`,
    `CSeq: ${req.headers.get('cseq')}`,
    ...(o.contactPort ? [`Contact: <sip:peer@127.0.0.1:${o.contactPort}>`] : []),
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
