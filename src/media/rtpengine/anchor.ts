/**
 * `media: rtpengine` — calls anchored on an rtpengine daemon over its ng protocol. One control
 * socket per anchor, one RtpengineSession per call (see params.ts for tags and branches, stats.ts for
 * what the statistics mean).
 */
import { randomBytes } from 'node:crypto';
import type { CallMediaSession, MediaAnchor, MediaCdr, MediaLeg, MediaSample } from '../../call/media-port';
import type { Logger } from '../../observability/logger';
import { RtpengineError } from './errors';
import { NgClient, type NgDict } from './ng-client';
import { attemptIds, deleteBranch, deleteCall, inDialog, initialAnswer, initialOffer, queryCall, type Attempt, type CallIds } from './params';
import { parseQuery, type CallSnapshot } from './query';
import { intervalSample, toMediaCdr, type SampleBase } from './stats';

export interface RtpengineAnchorOptions {
  /** ng control address of the daemon. */
  host: string;
  port: number;
  /** Reply timeout per ng command, ms (default 1000). */
  timeoutMs?: number;
  /** After a timeout, refuse new sessions at once for this long, ms (default 5000). */
  backoffMs?: number;
  logger?: Logger;
}

export class RtpengineAnchor implements MediaAnchor {
  private readonly ng: NgClient;
  private readonly logger: Logger | undefined;

  constructor(opts: RtpengineAnchorOptions) {
    this.logger = opts.logger;
    this.ng = new NgClient({ host: opts.host, port: opts.port, timeoutMs: opts.timeoutMs ?? 1000, backoffMs: opts.backoffMs ?? 5000, logger: opts.logger });
  }

  /** Nothing is sent to rtpengine until the first offer; refuses at once while it is known unreachable. */
  async open(callId: string, fromTag: string): Promise<CallMediaSession> {
    if (this.ng.unreachable()) throw new RtpengineError('E_RTPENGINE_UNREACHABLE', `${this.ng.host}:${this.ng.port}`);
    // A request without a From tag is not valid SIP, but its media should still be anchored.
    const callerTag = fromTag || `tw-notag-${randomBytes(4).toString('hex')}`;
    return new RtpengineSession(this.ng, { callId, callerTag }, this.logger?.child({ callId }));
  }

  /** Resolves when the daemon answers an ng ping (rejects with E_RTPENGINE_TIMEOUT otherwise). */
  async ping(): Promise<void> {
    await this.ng.command('ping');
  }

  close(): void {
    this.ng.close();
  }
}

function sdpOf(reply: NgDict, what: string): string {
  if (typeof reply.sdp !== 'string' || reply.sdp.length === 0) throw new RtpengineError('E_RTPENGINE_REPLY', `${what}: no SDP in the reply`);
  return reply.sdp;
}

export class RtpengineSession implements CallMediaSession {
  private readonly nonce = randomBytes(4).toString('hex');
  private readonly attempts: Attempt[] = [];
  private answered: Attempt | undefined;
  private sampleBase: SampleBase | undefined;
  private final: CallSnapshot | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly ng: NgClient, readonly ids: CallIds, private readonly log?: Logger) {}

  /** The synthetic To tag of the answered attempt (what rtpengine knows the carrier leg as). */
  get carrierTag(): string | undefined {
    return this.answered?.toTag;
  }

  async offer(callerSdp: string, carrier: string): Promise<string> {
    this.ensureOpen('offer');
    const prev = this.attempts.at(-1);
    const a = attemptIds(this.nonce, this.attempts.length + 1);
    const sdp = sdpOf(await this.ng.command('offer', initialOffer(this.ids, a, callerSdp)), 'offer');
    this.attempts.push(a);
    this.answered = undefined;
    this.sampleBase = undefined;
    // Crankback: the previous carrier never answered; release its branch's ports.
    if (prev) {
      await this.ng.command('delete', deleteBranch(this.ids, prev)).catch((err: Error) =>
        this.log?.warn({ err: err.message, attempt: prev.n, carrier }, 'rtpengine: could not release the previous attempt\'s branch'));
    }
    return sdp;
  }

  async answer(carrierSdp: string, carrier: string): Promise<string> {
    this.ensureOpen('answer');
    const a = this.attempts.at(-1);
    if (!a) throw new RtpengineError('E_RTPENGINE_REFUSED', `answer from ${carrier} before any offer`);
    const sdp = sdpOf(await this.ng.command('answer', initialAnswer(this.ids, a, carrierSdp)), 'answer');
    this.answered = a;
    return sdp;
  }

  async reoffer(from: MediaLeg, sdp: string): Promise<string> {
    const a = this.dialog('re-offer');
    return sdpOf(await this.ng.command('offer', inDialog(this.ids, a, from, sdp)), 're-offer');
  }

  async reanswer(to: MediaLeg, sdp: string): Promise<string> {
    const a = this.dialog('re-answer');
    return sdpOf(await this.ng.command('answer', inDialog(this.ids, a, to, sdp)), 're-answer');
  }

  async sample(_now: number): Promise<MediaSample | undefined> {
    if (this.closing || !this.answered) return undefined;
    const snap = parseQuery(await this.ng.command('query', queryCall(this.ids)));
    const r = intervalSample(snap, this.ids.callerTag, this.answered.toTag, this.sampleBase);
    this.sampleBase = r.base;
    return r.sample;
  }

  async stats(): Promise<MediaCdr> {
    if (this.final) return toMediaCdr(this.final, this.ids.callerTag, this.answered?.toTag);
    if (this.attempts.length === 0 || this.closing) return { mode: 'rtpengine' };
    const snap = parseQuery(await this.ng.command('query', queryCall(this.ids)));
    return toMediaCdr(snap, this.ids.callerTag, this.answered?.toTag);
  }

  /** ng `delete` of the whole call, at most once; the reply's statistics are kept for stats(). */
  close(): Promise<void> {
    this.closing ??= this.attempts.length === 0
      ? Promise.resolve()
      : this.ng.command('delete', deleteCall(this.ids)).then((reply) => {
        if (reply.tags !== undefined) this.final = parseQuery(reply);
      });
    return this.closing;
  }

  private ensureOpen(what: string): void {
    if (this.closing) throw new RtpengineError('E_RTPENGINE_CLOSED', `${what} after close (call ${this.ids.callId})`);
  }

  private dialog(what: string): Attempt {
    this.ensureOpen(what);
    if (!this.answered) throw new RtpengineError('E_RTPENGINE_REFUSED', `${what} before the carrier answered (call ${this.ids.callId})`);
    return this.answered;
  }
}
