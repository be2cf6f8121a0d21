/**
 * A scripted SIP peer for dialog-race tests (fuzz/findings.md #8): a mailbox of what the edge sent
 * it, and the few requests a caller or carrier sends inside one call, built by hand so a test
 * decides exactly what happens and when. No mutation, no randomness.
 */
import { draftOf, header, serialize, type Draft } from './draft';
import { responseTo, sdp, via } from './corpus';
import type { Link, OnMessage } from './net';

export interface Received {
  d: Draft;
  link: Link;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Everything the edge sent to one peer, taken out by the test in any order. */
export class Mailbox {
  private readonly got: Received[] = [];

  readonly onMessage: OnMessage = (text, link) => {
    const d = draftOf(text);
    if (d) this.got.push({ d, link });
  };

  /** The first message matching, waiting up to `ms`; undefined if none came. */
  async take(match: (d: Draft) => boolean, ms = 5000): Promise<Received | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.got.findIndex((m) => match(m.d));
      if (i >= 0) return this.got.splice(i, 1)[0];
      if (Date.now() >= until) return undefined;
      await sleep(10);
    }
  }

  clear(): void {
    this.got.length = 0;
  }
}

const cseqOf = (d: Draft): { seq: number; method: string } => {
  const m = /^(\d+)\s+(\S+)/.exec(header(d, 'CSeq') ?? '');
  return { seq: Number(m?.[1] ?? -1), method: m?.[2] ?? '' };
};

export const statusOf = (d: Draft): number => (d.start.startsWith('SIP/2.0 ') ? Number(d.start.split(' ')[1]) : 0);

/** A final (≥ 200) response to `method` with CSeq `seq`. */
export const finalTo = (method: string, seq: number) => (d: Draft): boolean => statusOf(d) >= 200 && cseqOf(d).method === method && cseqOf(d).seq === seq;

/** A request of `method`. */
export const request = (method: string) => (d: Draft): boolean => d.start.startsWith(`${method} `);

const uriOf = (nameAddr: string): string => /<([^>]+)>/.exec(nameAddr)?.[1] ?? nameAddr.split(';')[0]!.trim();

/** One side of a call as the peer sees it. */
export interface Leg {
  callId: string;
  /** Our From value (with our tag) for requests we send. */
  local: string;
  /** Their To value (with their tag, once known). */
  remote: string;
  /** Request-URI for in-dialog requests: their Contact. */
  target: string;
  cseq: number;
  link: Link;
}

let branches = 0;
const branch = (): string => `z9hG4bK-peer${process.pid}x${++branches}`;
const contact = (link: Link): string => `<sip:peer@${link.me.host}:${link.me.port};transport=${link.me.transport.toLowerCase()}>`;
const offer = (link: Link, version: number): string => sdp(link.me.host, 20_000 + version * 2, `peer${version}`);

/** An initial INVITE from a caller to `ruri`; the leg's To tag is filled in from the answer. */
export function invite(link: Link, ruri: string, callId: string): { leg: Leg; bytes: Buffer } {
  const leg: Leg = { callId, local: `<sip:ivr@${link.me.host}:${link.me.port}>;tag=peer-${callId}`, remote: `<${ruri}>`, target: ruri, cseq: 1, link };
  return { leg, bytes: build(leg, 'INVITE', leg.cseq, branch(), offer(link, 1)) };
}

/** A request inside the dialog (next CSeq); INVITE carries a new offer. */
export function inDialog(leg: Leg, method: string): { seq: number; branch: string; bytes: Buffer } {
  const seq = ++leg.cseq;
  const b = branch();
  return { seq, branch: b, bytes: build(leg, method, seq, b, method === 'INVITE' ? offer(leg.link, seq) : '') };
}

/** ACK for a final response: a 2xx gets its own transaction, a non-2xx the INVITE's branch (RFC 3261 §17.1.1.3). */
export function ack(leg: Leg, res: Draft, inviteBranch: string): Buffer {
  const { seq } = cseqOf(res);
  const ok = statusOf(res) < 300;
  const d: Draft = {
    start: `ACK ${leg.target} SIP/2.0`,
    headers: [['Via', via(leg.link.me, ok ? branch() : inviteBranch)], ['Max-Forwards', '70'], ['From', leg.local], ['To', header(res, 'To') ?? leg.remote],
      ['Call-ID', leg.callId], ['CSeq', `${seq} ACK`]],
    body: '',
  };
  return serialize(d);
}

/** The caller learns the dialog from the edge's 2xx: their tag and Contact. */
export function answered(leg: Leg, ok: Draft): void {
  leg.remote = header(ok, 'To') ?? leg.remote;
  const c = header(ok, 'Contact');
  if (c) leg.target = uriOf(c);
}

/** The carrier answers the edge's INVITE with `status` (2xx with SDP); for a 2xx, returns the carrier's leg. */
export function answer(req: Received, status: number, reason: string, tag = 'carrier-peer'): { leg: Leg | undefined; bytes: Buffer } {
  const { d, link } = req;
  const res = responseTo(d, status, reason, tag, link.me, status >= 200 && status < 300 && cseqOf(d).method === 'INVITE');
  const bytes = serialize(res);
  const to = header(res, 'To') ?? '';
  const fresh = !/;\s*tag=/i.test(header(d, 'To') ?? '');
  if (!fresh || status >= 300) return { leg: undefined, bytes };
  const leg: Leg = { callId: header(d, 'Call-ID') ?? '', local: to, remote: header(d, 'From') ?? '', target: uriOf(header(d, 'Contact') ?? ''), cseq: 0, link };
  return { leg, bytes };
}

function build(leg: Leg, method: string, seq: number, b: string, body: string): Buffer {
  const headers: Array<[string, string]> = [['Via', via(leg.link.me, b)], ['Max-Forwards', '70'], ['From', leg.local], ['To', leg.remote], ['Call-ID', leg.callId],
    ['CSeq', `${seq} ${method}`]];
  if (method === 'INVITE') headers.push(['Contact', contact(leg.link)]);
  if (body) headers.push(['Content-Type', 'application/sdp']);
  return serialize({ start: `${method} ${leg.target} SIP/2.0`, headers, body });
}
