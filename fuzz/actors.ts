/**
 * How the fuzzer behaves towards what the edge sends it, as a caller and as a carrier: ACK every
 * final to an INVITE (so the edge's transactions end), keep the dialogs that formed (for in-dialog
 * fuzzing, then a clean BYE), answer the edge's requests — as a carrier with mutated responses
 * before a proper final. Every response from the edge is counted by status; a 500 is a finding.
 */
import { draftOf, header, serialize, type Draft } from './draft';
import { responseTo, via, type DialogIds } from './corpus';
import { mutate } from './mutate';
import type { Link } from './net';
import type { Rng } from './prng';
import type { SentLog } from './sent-log';

export interface LiveDialog extends DialogIds {
  side: 'caller' | 'carrier';
  link: Link;
  fromUri: string;
  toUri: string;
  bornAt: number;
}

export interface ActorStats {
  statuses: Record<string, number>;
  dialogsFormed: number;
  carrierInvites: number;
  carrierResponses: number;
  carrierMutated: number;
}

const uriOf = (nameAddr: string | undefined): string | undefined => /<([^>]+)>/.exec(nameAddr ?? '')?.[1] ?? nameAddr?.split(';')[0]?.trim();
const tagOf = (nameAddr: string | undefined): string | undefined => /;\s*tag=([^;>\s]+)/i.exec(nameAddr ?? '')?.[1];

const CARRIER_FINALS: ReadonlyArray<[number, string, boolean]> = [
  [200, 'OK', true], [200, 'OK', true], [200, 'OK', true], [486, 'Busy Here', false], [404, 'Not Found', false], [503, 'Service Unavailable', false],
  [603, 'Decline', false], [408, 'Request Timeout', false], [480, 'Temporarily Unavailable', false], [488, 'Not Acceptable Here', false],
];

export class Actors {
  readonly dialogs = new Map<string, LiveDialog>();
  /** Dialled number → when the fuzz carrier last sent a class-5 (mutated) response to an INVITE for it. */
  private readonly carrier5xx = new Map<string, number>();
  readonly stats: ActorStats = { statuses: {}, dialogsFormed: 0, carrierInvites: 0, carrierResponses: 0, carrierMutated: 0 };

  /** Once the run is over the carrier answers cleanly, so the edge's probes and transactions can end. */
  calm = false;

  /** Where ACKs for non-2xx go (the edge's SIP address). */
  edgeUri = 'sip:127.0.0.1';

  /**
   * A UDP source for a hang-up whose TCP connection the edge has closed meanwhile: the BYE would be
   * dropped and the call left up for ever; the edge matches it to the dialog by its tags whatever
   * the transport.
   */
  fallback: Link | undefined;

  constructor(private readonly rng: Rng, private readonly log: SentLog, private readonly maxDialogs: number,
    private readonly onServerError: (response: string, link: Link) => void) {}

  /** Everything arriving at a caller socket (responses to our requests, the edge's in-dialog requests). */
  onCaller = (text: string, link: Link): void => {
    const d = draftOf(text);
    if (!d) return;
    if (d.start.startsWith('SIP/2.0 ')) return this.callerResponse(d, text, link);
    this.answer(d, link, 200, 'OK');
  };

  /** Everything arriving at a fuzz carrier (the edge's requests to the carrier, responses to our in-dialog requests). */
  onCarrier = (text: string, link: Link): void => {
    const d = draftOf(text);
    if (!d) return;
    if (d.start.startsWith('SIP/2.0 ')) {
      this.count(d);
      return;
    }
    const method = d.start.split(' ')[0]!;
    if (method === 'ACK') return this.learnTag(d, link);
    const toTag = this.rng.token(8);
    // Zero to two mutated responses first: they hit the edge's own client transaction.
    for (let k = this.calm ? 0 : this.rng.pick([0, 0, 1, 1, 2]); k > 0; k--) {
      const [status, reason] = this.rng.pick([[100, 'Trying'], [180, 'Ringing'], [183, 'Session Progress'], [200, 'OK'], [486, 'Busy Here'], [503, 'Service Unavailable'], [401, 'Unauthorized']] as const);
      const m = mutate(responseTo(d, status, reason, toTag, link.me, status !== 100 && method === 'INVITE'), this.rng, 0);
      this.stats.carrierMutated++;
      if (method === 'INVITE') this.noteCarrier5xx(d, m.bytes);
      this.sendOn(link, m.bytes, m.ops, 'carrier');
    }
    if (method !== 'INVITE') return this.answer(d, link, 200, 'OK', toTag);
    this.stats.carrierInvites++;
    const [status, reason, withSdp] = this.rng.pick(CARRIER_FINALS);
    if (this.rng.chance(0.5)) this.sendOn(link, serialize(responseTo(d, 180, 'Ringing', toTag, link.me, false)), [], 'carrier');
    this.sendOn(link, serialize(responseTo(d, status, reason, toTag, link.me, withSdp)), [], 'carrier');
    // Only an initial INVITE makes a new dialog; a 200 to the edge's re-INVITE keeps the one we hold
    // (re-keeping it here put a fresh tag in it, so its in-dialog requests and its BYE all got 481).
    if (status === 200 && !tagOf(header(d, 'To'))) {
      const callId = header(d, 'Call-ID') ?? '';
      this.keep({ side: 'carrier', link, callId, fromTag: toTag, toTag: tagOf(header(d, 'From')), cseq: 1, target: uriOf(header(d, 'Contact')) ?? this.edgeUri,
        fromUri: uriOf(header(d, 'To')) ?? this.edgeUri, toUri: uriOf(header(d, 'From')) ?? this.edgeUri, bornAt: Date.now() });
    }
  };

  /**
   * A mutated response may still be a well-formed final of class 5 (statusCode, numericEdge or a flipped
   * bit turn 486 into 586 or 500): the edge rightly ends the call with it, and a code outside
   * drachtio-srf's table reaches the caller as its class's x00 (RFC 3261 §8.1.3.2) — a 500 that the
   * carrier, not the edge, chose. Remembered by the dialled number (the INVITE's Request-URI user,
   * which the edge keeps from the caller's), for 30 s.
   */
  noteCarrier5xx(invite: Pick<Draft, 'start'>, bytes: Buffer): void {
    if (!/^SIP\/2\.0 5\d\d /.test(bytes.toString('latin1', 0, 16))) return;
    const user = /^\S+ sips?:([^@;>\s]+)@/.exec(invite.start)?.[1];
    if (!user) return;
    this.carrier5xx.set(user, Date.now());
    if (this.carrier5xx.size > 10_000) this.carrier5xx.delete(this.carrier5xx.keys().next().value!);
  }

  /** Whether the fuzz carrier sent a class-5 final for a call to the number this 500 (to the caller) names. */
  carrierSent5xxFor(response: string): boolean {
    const user = /\r\n(?:to|t)[ \t]*:[^\r\n]*?sips?:([^@;>\s]+)@/i.exec(response)?.[1];
    const at = user === undefined ? undefined : this.carrier5xx.get(user);
    return at !== undefined && Date.now() - at < 30_000;
  }

  /**
   * The edge's ACK for a 2xx (sent to our Contact, `sip:carrier@…`) names the answer it took: one of
   * our mutated 2xx may have carried another To tag than the final we meant, or come before a final
   * that was not a 2xx at all (the edge keeps the dialog the first 2xx made). We hold that dialog, with
   * that tag, so our in-dialog requests reach it and our hang-up ends it.
   */
  private learnTag(ack: Draft, link: Link): void {
    if (!/^ACK sip:carrier@/.test(ack.start)) return; // the ACK of a non-2xx: no dialog
    const callId = header(ack, 'Call-ID') ?? '';
    const tag = tagOf(header(ack, 'To'));
    if (!tag) return;
    const dlg = this.dialogs.get(callId);
    if (dlg?.side === 'carrier') {
      dlg.fromTag = tag;
      return;
    }
    if (dlg) return;
    this.keep({ side: 'carrier', link, callId, fromTag: tag, toTag: tagOf(header(ack, 'From')), cseq: 1, target: this.edgeUri,
      fromUri: uriOf(header(ack, 'To')) ?? this.edgeUri, toUri: uriOf(header(ack, 'From')) ?? this.edgeUri, bornAt: Date.now() });
  }

  private count(d: Draft): void {
    const status = d.start.split(' ')[1] ?? '?';
    this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
  }

  private callerResponse(d: Draft, text: string, link: Link): void {
    this.count(d);
    const status = Number(d.start.split(' ')[1]);
    if (status === 500) this.onServerError(text, link);
    const cseq = /^(\d+)\s+(\S+)/.exec(header(d, 'CSeq') ?? '');
    if (!cseq || cseq[2] !== 'INVITE' || status < 200) return;
    const callId = header(d, 'Call-ID') ?? '';
    const to = header(d, 'To') ?? '';
    const from = header(d, 'From') ?? '';
    const topVia = header(d, 'Via') ?? '';
    if (status >= 300) {
      // Non-2xx: the ACK belongs to the INVITE's transaction (same branch, §17.1.1.3).
      const ack: Draft = { start: `ACK ${this.edgeUri} SIP/2.0`, headers: [['Via', topVia], ['Max-Forwards', '70'], ['From', from], ['To', to], ['Call-ID', callId], ['CSeq', `${cseq[1]} ACK`]], body: '' };
      this.sendOn(link, serialize(ack), [], 'caller');
      return;
    }
    const target = uriOf(header(d, 'Contact')) ?? this.edgeUri;
    const ack: Draft = { start: `ACK ${target} SIP/2.0`, headers: [['Via', via(link.me, `z9hG4bK-${this.rng.token(12)}`)], ['Max-Forwards', '70'], ['From', from], ['To', to],
      ['Call-ID', callId], ['CSeq', `${cseq[1]} ACK`]], body: '' };
    this.sendOn(link, serialize(ack), [], 'caller');
    if (!this.dialogs.has(callId)) {
      this.keep({ side: 'caller', link, callId, fromTag: tagOf(from) ?? '', toTag: tagOf(to), cseq: Number(cseq[1]) + 1, target, fromUri: uriOf(from) ?? this.edgeUri,
        toUri: uriOf(to) ?? this.edgeUri, bornAt: Date.now() });
    }
  }

  private keep(dlg: LiveDialog): void {
    this.stats.dialogsFormed++;
    this.dialogs.set(dlg.callId, dlg);
    // Bounded: the oldest dialog beyond the cap is hung up cleanly.
    if (this.dialogs.size > this.maxDialogs) this.hangup(this.dialogs.values().next().value!);
  }

  /**
   * A clean BYE for a dialog we hold, and forget it. Its CSeq is above every one we sent in the call,
   * mutated ones included (RFC 3261 §12.2.2: a lower one is refused 500 and the call would stay up).
   */
  hangup(dlg: LiveDialog): void {
    this.dialogs.delete(dlg.callId);
    dlg.cseq = Math.max(dlg.cseq, Math.min(this.log.maxSeq(dlg.callId) + 1, 2 ** 31 - 1));
    // A BYE written into a TCP stream can be lost with it: the edge closes connections fed junk (the
    // mutated messages before it in the same stream). The hang-up of a TCP dialog goes over UDP.
    const overUdp = this.fallback && dlg.link.me.transport === 'TCP';
    const link = overUdp && this.fallback ? this.fallback : dlg.link;
    const bye: Draft = { start: `BYE ${dlg.target} SIP/2.0`, headers: [['Via', via(link.me, `z9hG4bK-${this.rng.token(12)}`)], ['Max-Forwards', '70'],
      ['From', `<${dlg.fromUri}>${dlg.fromTag ? `;tag=${dlg.fromTag}` : ''}`], ['To', `<${dlg.toUri}>${dlg.toTag ? `;tag=${dlg.toTag}` : ''}`], ['Call-ID', dlg.callId], ['CSeq', `${dlg.cseq++} BYE`]], body: '' };
    this.sendOn(link, serialize(bye), [], dlg.side);
  }

  private answer(req: Draft, link: Link, status: number, reason: string, toTag = this.rng.token(8)): void {
    const method = req.start.split(' ')[0]!;
    if (method === 'ACK') return;
    if (method === 'BYE') this.dialogs.delete(header(req, 'Call-ID') ?? header(req, 'i') ?? '');
    const withSdp = (method === 'INVITE' || method === 'UPDATE') && req.body.startsWith('v=0');
    this.sendOn(link, serialize(responseTo(req, status, reason, toTag, link.me, withSdp)), [], 'reply');
  }

  private sendOn(link: Link, bytes: Buffer, ops: string[], who: string): void {
    if (who === 'carrier') this.stats.carrierResponses++;
    this.log.add(who, link.me, bytes, ops);
    link.send(bytes);
  }
}
