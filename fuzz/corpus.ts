/**
 * The real SIP messages the fuzzer starts from (before mutation): what an IVR, a carrier or a
 * confused peer sends. Built fresh per message with the socket's own address, new Call-ID/tags/branch.
 */
import { header, type Draft } from './draft';
import type { Rng } from './prng';

export interface Endpoint {
  host: string;
  port: number;
  /** 'UDP' | 'TCP' as written in Via. */
  transport: 'UDP' | 'TCP';
}

export interface DialogIds {
  callId: string;
  fromTag: string;
  toTag?: string;
  /** Our next CSeq number in this dialog. */
  cseq: number;
  /** Request-URI for in-dialog requests (the peer's Contact, else the edge). */
  target: string;
}

/** Numbers routed to the fuzzer's own carrier (anything not +4930…: the legit calls' prefix). */
export const FUZZ_PREFIX = '+49111';

export const sdp = (host: string, port: number, id: string): string =>
  ['v=0', `o=fuzz ${id} 1 IN IP4 ${host}`, 's=-', `c=IN IP4 ${host}`, 't=0 0', `m=audio ${port} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');

export const via = (me: Endpoint, branch: string): string => `SIP/2.0/${me.transport} ${me.host}:${me.port};branch=${branch};rport`;

/** Methods a peer may send outside a dialog (the first three are what the edge really serves). */
const OUT_OF_DIALOG = ['INVITE', 'INVITE', 'INVITE', 'OPTIONS', 'OPTIONS', 'BYE', 'CANCEL', 'ACK', 'REGISTER', 'MESSAGE', 'INFO', 'UPDATE', 'PRACK',
  'SUBSCRIBE', 'NOTIFY', 'REFER', 'PUBLISH', 'FOO'] as const;

export function newRequest(rng: Rng, me: Endpoint, edge: Endpoint, method: string = rng.pick(OUT_OF_DIALOG)): Draft {
  const number = `${FUZZ_PREFIX}${rng.range(10000, 99999)}`;
  const ruri = `sip:${number}@${edge.host}:${edge.port}`;
  const callId = `fz-${rng.token(14)}`;
  const headers: Array<[string, string]> = [
    ['Via', via(me, `z9hG4bK-${rng.token(12)}`)],
    ['Max-Forwards', '70'],
    ['From', `"fuzz" <sip:ivr@${me.host}:${me.port}>;tag=${rng.token(8)}`],
    ['To', `<sip:${number}@${edge.host}:${edge.port}>`],
    ['Call-ID', callId],
    ['CSeq', `${rng.range(1, 1000)} ${method}`],
    ['Contact', `<sip:ivr@${me.host}:${me.port};transport=${me.transport.toLowerCase()}>`],
    ['User-Agent', 'trunkwise-fuzz'],
  ];
  let body = '';
  if (method === 'INVITE' || (method === 'UPDATE' && rng.chance(0.5))) {
    if (rng.chance(0.3)) headers.push(['Supported', rng.pick(['100rel', 'timer', '100rel, timer', 'replaces'])]);
    if (rng.chance(0.2)) headers.push(['Session-Expires', `${rng.pick([90, 1800, 0, 4294967296])};refresher=${rng.pick(['uac', 'uas'])}`]);
    if (rng.chance(0.1)) headers.push(['Priority', 'emergency']);
    headers.push(['Content-Type', 'application/sdp']);
    body = sdp(me.host, rng.range(20000, 30000), rng.token(6));
  } else if (method === 'MESSAGE' || method === 'INFO') {
    headers.push(['Content-Type', rng.pick(['text/plain', 'application/dtmf-relay'])]);
    body = 'Signal=5\r\nDuration=160\r\n';
  } else if (method === 'REGISTER') {
    headers.push(['Expires', '3600']);
  } else if (method === 'SUBSCRIBE' || method === 'NOTIFY' || method === 'PUBLISH') {
    headers.push(['Event', 'presence'], ['Expires', '60']);
  } else if (method === 'REFER') {
    headers.push(['Refer-To', `<sip:+4930123@${edge.host}>`]);
  } else if (method === 'PRACK') {
    headers.push(['RAck', `${rng.range(1, 5)} 1 INVITE`]);
  }
  if (method === 'CANCEL' || method === 'ACK') headers[5] = ['CSeq', `1 ${method}`];
  return { start: `${method} ${ruri} SIP/2.0`, headers, body };
}

const IN_DIALOG = ['BYE', 'INFO', 'INFO', 'OPTIONS', 'INVITE', 'UPDATE', 'ACK', 'PRACK', 'REFER', 'NOTIFY', 'MESSAGE', 'CANCEL'] as const;

/** A request inside a dialog the fuzzer holds with the edge (caller side or carrier side). */
export function inDialogRequest(rng: Rng, me: Endpoint, d: DialogIds, fromUri: string, toUri: string, method: string = rng.pick(IN_DIALOG)): Draft {
  const seq = method === 'ACK' || method === 'CANCEL' ? d.cseq - 1 : d.cseq++;
  const headers: Array<[string, string]> = [
    ['Via', via(me, `z9hG4bK-${rng.token(12)}`)],
    ['Max-Forwards', '70'],
    ['From', `<${fromUri}>${d.fromTag ? `;tag=${d.fromTag}` : ''}`],
    ['To', `<${toUri}>${d.toTag ? `;tag=${d.toTag}` : ''}`],
    ['Call-ID', d.callId],
    ['CSeq', `${seq} ${method}`],
    ['Contact', `<sip:fuzz@${me.host}:${me.port};transport=${me.transport.toLowerCase()}>`],
  ];
  let body = '';
  if (method === 'INVITE' || method === 'UPDATE') {
    if (rng.chance(0.3)) headers.push(['Session-Expires', `${rng.pick([90, 120, 1800])};refresher=uac`]);
    headers.push(['Content-Type', 'application/sdp']);
    body = sdp(me.host, rng.range(20000, 30000), rng.token(6));
  } else if (method === 'INFO') {
    headers.push(['Content-Type', 'application/dtmf-relay']);
    body = 'Signal=1\r\nDuration=100\r\n';
  } else if (method === 'PRACK') {
    headers.push(['RAck', `1 ${d.cseq - 1} INVITE`]);
  } else if (method === 'NOTIFY') {
    headers.push(['Event', 'refer'], ['Subscription-State', 'terminated']);
  }
  return { start: `${method} ${d.target} SIP/2.0`, headers, body };
}

/**
 * A response to a request the edge sent us (the fuzzer as a carrier, or as the caller receiving an
 * in-dialog request): Via, From, To, Call-ID, CSeq copied as RFC 3261 §8.2.6 says.
 */
export function responseTo(req: Draft, status: number, reason: string, toTag: string, me: Endpoint, withSdp: boolean): Draft {
  const headers: Array<[string, string]> = [];
  for (const [k, v] of req.headers) if (/^(via|v|from|f|call-id|i|cseq|record-route)$/i.test(k)) headers.push([k, v]);
  const to = header(req, 'To') ?? header(req, 't') ?? '';
  headers.push(['To', /;\s*tag=/i.test(to) || status === 100 ? to : `${to};tag=${toTag}`]);
  const method = req.start.split(' ')[0] ?? '';
  if (status >= 101 && status < 300 && (method === 'INVITE' || method === 'SUBSCRIBE' || method === 'UPDATE')) {
    headers.push(['Contact', `<sip:carrier@${me.host}:${me.port};transport=${me.transport.toLowerCase()}>`]);
  }
  let body = '';
  if (withSdp) {
    headers.push(['Content-Type', 'application/sdp']);
    body = sdp(me.host, 30000 + (toTag.length * 7) % 1000, toTag);
  }
  return { start: `SIP/2.0 ${status} ${reason}`, headers, body };
}

/** A response to nothing the edge sent: a stray final or provisional with a made-up branch. */
export function strayResponse(rng: Rng, me: Endpoint, edge: Endpoint): Draft {
  const method = rng.pick(['INVITE', 'OPTIONS', 'BYE', 'CANCEL', 'PRACK']);
  const status = rng.pick([100, 180, 183, 200, 202, 401, 407, 481, 486, 487, 503, 603]);
  const req = newRequest(rng, me, edge, method);
  req.headers[0] = ['Via', `SIP/2.0/${me.transport} ${edge.host}:${edge.port};branch=z9hG4bK${rng.token(10)};rport`];
  return responseTo(req, status, 'Stray', rng.token(8), me, status >= 180 && status < 300 && method === 'INVITE');
}
