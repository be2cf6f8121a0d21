/**
 * One alarm call through trunkwise: try the route's carriers in order (crankback), relay ringing,
 * answer the caller with the winning carrier's SDP, bridge, and write the CDR when it ends.
 *
 * The decision to try another carrier is not made here: `decide` is the route's pure crankback
 * function (src/routing), so every clause is unit-tested on its own.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CarrierRegistry } from '../carriers/runtime';
import type { AttemptFailure, AttemptResult, CrankbackDecision, CrankbackInput } from '../routing';
import { startAttempt, LAG_TOLERANCE_MS, type AttemptHandle, type AttemptHooks, type AttemptTimers } from './attempt';
import { faultOf, healthVerdict } from './fault';
import { sipResponseFor } from '../config/errors';
import { bridge } from './bridge';
import type { CallSipPort } from './sip-port';
import { callerStatus } from './caller-status';
import { followHealth, writeCdr, type CdrRecord, type AttemptRecord } from './cdr';
import type { AttemptTrack } from '../health/monitor';
import type { MediaMode } from '../config/types';
import type { CallMediaSession, MediaAnchor, MediaCdr } from './media-port';
import type { MediaTracker } from './media-tracker';
import { directSession } from '../media/direct';
import type { InFlightAttempts } from './in-flight';
import type { ResponseLatency } from './response-latency';
import { noProvisionalTimerMs, DEFAULT_FLOOR_MS, DEFAULT_RTT_FACTOR } from './no-provisional-timer';

export interface PlannedAttempt {
  carrier: string;
  uri: string;
  headers: Record<string, string>;
  auth?: { username: string; password: string };
  /** Another site's edge (carriers.yaml peers:), not a carrier. */
  peer?: boolean;
}

export interface CallTimers {
  /** The longest an attempt waits for a first provisional; shorter for a carrier with a known RTT. */
  noProvisionalMs: number;
  /** The adaptive no-provisional timer's floor and RTT multiple (src/call/no-provisional-timer.ts). */
  noProvisionalFloorMs?: number;
  noProvisionalRttFactor?: number;
  noAnswerMs: number;
  setupDeadlineMs: number;
}

/** The facts of one failed attempt; the route adds its maxAttempts and retry rules. */
export type DecisionInput = Omit<CrankbackInput, 'maxAttempts' | 'rules'>;

export interface CallDeps {
  /** The SIP stack (src/app/srf-port.ts over drachtio-srf). */
  sip: CallSipPort;
  logger: Logger;
  metrics: Metrics;
  carriers: CarrierRegistry;
  decide(input: DecisionInput): CrankbackDecision;
  /** The status the caller gets when no decision was made (setup deadline passed between attempts). */
  finalStatus(history: readonly AttemptResult[]): number;
  /** Media anchoring for the route's mode (relay, rtpengine, direct). */
  anchor(mode: MediaMode): MediaAnchor;
  /** Calls up with anchored media, for live per-carrier loss sampling. */
  mediaTracker: MediaTracker;
  /** Milliseconds trunkwise itself was stalled within [from, to] (src/call/stall-clock.ts). */
  stalledWithin(from: number, to: number): number;
  /** Carrier health: told when each attempt starts, hears from the carrier, rings and ends. */
  trackAttempt(carrier: string, now: number): AttemptTrack;
  /** Called when the call ends (answered call hung up, or setup failed). */
  onFinished?(cdr: CdrRecord): void;
  /** A slot on the carrier under its caps, shared by every edge (src/state); refused = skip the carrier. */
  admit?(carrier: string): Promise<CarrierSlot>;
  /** Attempts in flight per carrier: abandoned at once when health takes their carrier down. */
  inFlight?: InFlightAttempts;
  /** Per-carrier first-response latency, for the adaptive no-provisional timer. */
  latency?: ResponseLatency;
}

export type CarrierSlot = { ok: true; release(): void } | { ok: false; reason: string };

export interface CallPlan {
  route: string;
  media: MediaMode;
  attempts: PlannedAttempt[];
  timers: CallTimers;
  /** The call was handed over by this peer site (src/routing/peers.ts). */
  fromPeer?: string;
}

export async function runCall(deps: CallDeps, req: Srf.SrfRequest, res: Srf.SrfResponse, plan: CallPlan): Promise<void> {
  const log = deps.logger.child({ callId: req.get('Call-ID'), route: plan.route });
  const started = Date.now();
  const cdr: CdrRecord = {
    callId: req.get('Call-ID'), route: plan.route, source: req.source_address, to: req.uri, startedAt: started,
    attempts: [], outcome: 'failed', ...(plan.fromPeer !== undefined && { fromPeer: plan.fromPeer }),
  };
  let callerCancelled = false;
  let earlyMediaSent = false;
  let ringingSent = false;
  let current: AttemptHandle | undefined;
  const history: AttemptFailure[] = [];
  req.on('cancel', () => {
    callerCancelled = true;
    current?.cancel();
  });

  const media = new CallMedia(deps, log, req, plan.media);
  const finish = (status: number, outcome: CdrRecord['outcome']): void => {
    cdr.outcome = outcome;
    cdr.finalStatus = status;
    cdr.endedAt = Date.now();
    deps.metrics.callsCompleted.inc({ outcome });
    void media.release().then((stats) => {
      if (stats) cdr.media = stats;
      writeCdr(log, cdr);
      deps.onFinished?.(cdr);
    });
  };

  for (let i = 0; i < plan.attempts.length; i++) {
    const a = plan.attempts[i]!;
    const remainingMs = started + plan.timers.setupDeadlineMs - Date.now();
    if (callerCancelled || remainingMs <= 0) break;
    const slot: CarrierSlot = deps.admit ? await deps.admit(a.carrier) : { ok: true, release: () => undefined };
    if (!slot.ok) {
      log.info({ carrier: a.carrier, reason: slot.reason }, 'carrier at its cap: not tried');
      continue;
    }
    const rec: AttemptRecord = { carrier: a.carrier, uri: a.uri, startedAt: Date.now(), outcome: 'timeout', ...(a.peer === true && { peer: true }) };
    cdr.attempts.push(rec);
    deps.carriers.attemptStarted(a.carrier, rec.startedAt);
    const track = deps.trackAttempt(a.carrier, rec.startedAt);
    deps.metrics.carrierAttempts.inc({ carrier: a.carrier });
    const noProvisionalMs = attemptNoProvisionalMs(deps, a.carrier, plan.timers, rec.startedAt, i === plan.attempts.length - 1);
    rec.noProvisionalMs = noProvisionalMs;
    // The carrier's latency is what we measured minus the time we ourselves were stalled.
    const carrierMs = (ms: number): number => ms - deps.stalledWithin(rec.startedAt, rec.startedAt + ms);
    current = await placeAttempt(deps, media, a, { noProvisionalMs, noAnswerMs: plan.timers.noAnswerMs, remainingMs }, {
      onFirstProvisional: (ms) => {
        rec.provisionalMs = ms;
        deps.latency?.sample(a.carrier, carrierMs(ms), Date.now());
        track.responded(rec.startedAt + carrierMs(ms));
      },
      // Answered after we gave up: the timer was too short for this carrier now, and the estimate
      // learns it. Later than the configured maximum is a dead carrier's backlog, not its RTT.
      onLateFirstProvisional: (ms) => {
        if (ms <= plan.timers.noProvisionalMs) deps.latency?.sample(a.carrier, carrierMs(ms), Date.now());
      },
      onProvisional: (p) => {
        track.rang(Date.now() - rec.startedAt - deps.stalledWithin(rec.startedAt, Date.now()));
        if (callerCancelled) return;
        // SDP in a provisional is early media: the caller may be hearing this carrier, so no crankback after it.
        if (p.body && p.body.length > 0) {
          earlyMediaSent = true;
          // Early media goes through the anchor like the answer does (the 200 re-points it if it differs).
          void media.answer(p.body, a.carrier).then((sdp) => {
            if (!callerCancelled && !res.finalResponseSent) res.send(183, { body: sdp });
          });
        } else if (!ringingSent) {
          ringingSent = true;
          res.send(180);
        }
      },
    });
    const untrack = deps.inFlight?.add(a.carrier, current);
    const outcome = await current.done;
    untrack?.();
    const timerLateMs = current.timerLateMs();
    const downAbandoned = current.abandonedAsDown();
    current = undefined;
    rec.finalMs = Date.now() - rec.startedAt;
    const stalledMs = deps.stalledWithin(rec.startedAt, rec.startedAt + rec.finalMs);
    const fault = faultOf(outcome, { timerLateMs: Math.max(timerLateMs, stalledMs), toleranceMs: LAG_TOLERANCE_MS });
    rec.fault = fault;
    if (outcome.kind === 'answered' || outcome.kind === 'response') {
      track.responded(rec.startedAt + rec.finalMs - stalledMs);
      if (outcome.kind === 'answered') track.rang(rec.finalMs - stalledMs);
    }
    // Given up because health already took the carrier down: that is not a second failure to charge it.
    followHealth(rec, track.finished(downAbandoned ? 'ignored' : healthVerdict(outcome, fault), rec.startedAt + rec.finalMs));

    if (outcome.kind === 'answered') {
      rec.outcome = 'answered';
      rec.status = 200;
      deps.carriers.outcome(a.carrier, '2xx', true);
      deps.metrics.carrierOutcomes.inc({ carrier: a.carrier, class: '2xx' });
      deps.metrics.carrierSetupSeconds.observe({ carrier: a.carrier }, rec.finalMs / 1000);
      return answer(deps, log, req, res, outcome.dialog, a.carrier, cdr, media, (status, o) => {
        slot.release();
        finish(status, o);
      });
    }
    slot.release();
    if (outcome.kind === 'internal') {
      // Our own failure: not the carrier's, and another carrier would meet the same bug. E_INTERNAL.
      rec.outcome = 'internal';
      rec.reason = outcome.message;
      log.error({ carrier: a.carrier, err: outcome.message, code: 'E_INTERNAL' }, 'attempt failed inside trunkwise');
      const r = sipResponseFor('E_INTERNAL');
      if (!callerCancelled && !res.finalResponseSent) res.send(r.status, r.reason, { headers: r.headers });
      return finish(r.status, callerCancelled ? 'cancelled' : 'failed');
    }
    history.push(outcome);
    recordFailure(deps, a.carrier, rec, outcome);
    if (downAbandoned) rec.reason = 'carrier-down';
    const decision = deps.decide({
      outcome, callerCancelled, earlyMediaSent, attemptsMade: i + 1, remainingCarriers: plan.attempts.length - i - 1,
      msUntilDeadline: started + plan.timers.setupDeadlineMs - Date.now(), history,
    });
    if (decision.action === 'fail') {
      log.info({ carrier: a.carrier, reason: decision.reason, status: decision.status }, 'call failed');
      if (!callerCancelled) res.send(callerStatus(decision.status));
      return finish(decision.status, callerCancelled ? 'cancelled' : 'failed');
    }
    const next = plan.attempts[i + 1];
    log.info({ carrier: a.carrier, next: next?.carrier, reason: decision.reason }, 'crankback');
    deps.metrics.crankbacks.inc({ from_carrier: a.carrier, reason: decision.reason });
  }
  // Loop ended without a decision to fail: the caller cancelled, the deadline passed, or no carrier was left.
  const status = callerCancelled ? 487 : deps.finalStatus(history);
  if (!callerCancelled) res.send(callerStatus(status));
  finish(status, callerCancelled ? 'cancelled' : 'failed');
}

/** Offer the call to one carrier; an exception on our side (media offer, srf) becomes an internal failure, never a throw. */
async function placeAttempt(deps: CallDeps, media: CallMedia, a: PlannedAttempt, timers: AttemptTimers, hooks: AttemptHooks): Promise<AttemptHandle> {
  try {
    const opts: Srf.CreateUACOptions = { localSdp: await media.offer(a.carrier), headers: a.headers };
    if (a.auth) opts.auth = a.auth;
    return startAttempt(deps.sip, a.uri, opts, timers, hooks);
  } catch (err) {
    return {
      done: Promise.resolve({ kind: 'internal', message: (err as Error).message }), cancel: () => undefined, timerLateMs: () => 0,
      carrierDown: () => false, abandonedAsDown: () => false,
    };
  }
}

/** This attempt's no-provisional timer: adapted to the carrier's measured response time when known, unless no crank can follow. */
function attemptNoProvisionalMs(deps: CallDeps, carrier: string, t: CallTimers, now: number, lastAttempt: boolean): number {
  return noProvisionalTimerMs(deps.latency?.rttMs(carrier, now), {
    maxMs: t.noProvisionalMs, floorMs: t.noProvisionalFloorMs ?? DEFAULT_FLOOR_MS, rttFactor: t.noProvisionalRttFactor ?? DEFAULT_RTT_FACTOR,
  }, lastAttempt);
}

function recordFailure(deps: CallDeps, carrier: string, rec: AttemptRecord, o: AttemptFailure): void {
  let cls: string;
  switch (o.kind) {
    case 'response':
      rec.outcome = 'rejected';
      rec.status = o.status;
      cls = `${Math.floor(o.status / 100)}xx`;
      break;
    case 'timeout':
      rec.outcome = 'timeout';
      rec.reason = o.phase;
      cls = 'timeout';
      break;
    case 'transport-error':
      rec.outcome = 'transport-error';
      cls = 'transport';
      break;
    default:
      rec.outcome = 'cancelled';
      cls = 'cancelled';
  }
  deps.carriers.outcome(carrier, cls, false);
  deps.metrics.carrierOutcomes.inc({ carrier, class: cls });
}

async function answer(
  deps: CallDeps, log: Logger, req: Srf.SrfRequest, res: Srf.SrfResponse, uac: Srf.Dialog, carrier: string,
  cdr: CdrRecord, media: CallMedia, finish: (status: number, outcome: CdrRecord['outcome']) => void,
): Promise<void> {
  const localSdp = await media.answer(uac.remote.sdp, carrier);
  if (localSdp && !localSdp.startsWith('v=0')) {
    // A body that is not a session description cannot answer the caller: srf would send it without a
    // Content-Type, the stack refuses such a response, srf never answers twice, and the caller's
    // INVITE would stay unanswered (fuzz/findings.md #8). The carrier's answer is unusable: 502.
    log.warn({ carrier }, "carrier's 2xx carries no session description: leg released, caller gets 502");
    uac.destroy({ headers: {} }, () => undefined);
    if (!res.finalResponseSent) res.send(502);
    return finish(502, 'failed');
  }
  let uas: Srf.Dialog;
  try {
    uas = await deps.sip.createUas(req, res, { localSdp });
  } catch (err) {
    // The caller went away (CANCEL crossed our answer): release the carrier leg.
    log.info({ err: (err as Error).message }, 'caller leg could not be answered');
    uac.destroy({ headers: {} }, () => undefined);
    return finish(487, 'cancelled');
  }
  cdr.answeredAt = Date.now();
  cdr.setupMs = cdr.answeredAt - cdr.startedAt;
  deps.carriers.callUp(carrier);
  deps.metrics.carrierActiveCalls.inc({ carrier });
  media.up(carrier);
  bridge(uas, uac, media.session(), (by) => {
    deps.carriers.callDown(carrier);
    deps.metrics.carrierActiveCalls.dec({ carrier });
    cdr.endedBy = by;
    cdr.durationMs = Date.now() - (cdr.answeredAt ?? Date.now());
    finish(200, 'answered');
  });
}

/**
 * The call's media: opened at the first attempt from the route's mode; when anchoring is not
 * possible (no ports, rtpengine unreachable) the call continues with direct media — an alarm call
 * without a relay beats no alarm call — and that is logged and counted.
 */
class CallMedia {
  private s: CallMediaSession | undefined;
  private opening: Promise<CallMediaSession> | undefined;
  private released = false;

  constructor(private readonly deps: CallDeps, private readonly log: Logger, private readonly req: Srf.SrfRequest, private readonly mode: MediaMode) {}

  session(): CallMediaSession {
    return this.s ?? directSession;
  }

  async offer(carrier: string): Promise<string> {
    const sdp = this.req.body;
    if (!sdp) return sdp;
    const s = await this.open();
    try {
      return await s.offer(sdp, carrier);
    } catch (err) {
      return this.fallBack(err as Error, sdp);
    }
  }

  async answer(sdp: string, carrier: string): Promise<string> {
    if (!this.s || !sdp) return sdp;
    try {
      return await this.s.answer(sdp, carrier);
    } catch (err) {
      this.log.error({ err: (err as Error).message, carrier }, 'media anchor refused the answer; passing SDP through');
      return sdp;
    }
  }

  up(carrier: string): void {
    if (this.s && this.mode !== 'direct') this.deps.mediaTracker.add({ callId: this.req.get('Call-ID'), carrier, session: this.s });
  }

  async release(): Promise<MediaCdr | undefined> {
    if (this.released) return undefined;
    this.released = true;
    this.deps.mediaTracker.remove(this.req.get('Call-ID'));
    const s = this.s ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    if (!s) return undefined;
    try {
      const stats = await s.stats();
      return stats;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'media stats unavailable');
      return undefined;
    } finally {
      await s.close().catch((err: Error) => this.log.error({ err: err.message }, 'media session did not close'));
    }
  }

  private open(): Promise<CallMediaSession> {
    if (this.s) return Promise.resolve(this.s);
    const tag = /;\s*tag=([^;>\s]+)/i.exec(this.req.get('From') ?? '')?.[1] ?? '';
    this.opening ??= this.deps.anchor(this.mode).open(this.req.get('Call-ID'), tag).then(
      (s) => (this.s = s),
      (err: Error) => {
        this.deps.metrics.mediaFallbacks.inc({ mode: this.mode });
        this.log.error({ err: err.message, mode: this.mode }, 'media anchoring unavailable: this call uses direct media');
        this.s = directSession;
        return this.s;
      },
    );
    return this.opening;
  }

  private async fallBack(err: Error, sdp: string): Promise<string> {
    this.deps.metrics.mediaFallbacks.inc({ mode: this.mode });
    this.log.error({ err: err.message, mode: this.mode }, 'media anchor refused the offer: this call uses direct media');
    const old = this.s;
    this.s = directSession;
    await old?.close().catch(() => undefined);
    return sdp;
  }
}
