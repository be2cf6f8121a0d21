/**
 * Carrier health for the whole edge: per carrier a probe window, a call window and a state machine;
 * a tick that runs the reactive silence check (every tickMs) and the scored evaluation (every
 * evaluateMs); the local-fault guard over all carriers; every change logged, counted and kept.
 * A carrier's silence, late answer or unanswered INVITE is charged to it only when the other carriers
 * show the edge was prompt meanwhile (src/health/blame.ts); otherwise the edge takes the blame.
 * Routing reads `snapshot()`; the admin API reads `view()` and `events()`.
 */
import type { HealthConfig, TrunkwiseConfig } from '../config/types';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { blameSlowness, STALL_TOLERANCE_MS, type BlameVerdict } from './blame';
import { CallWindow } from './call-window';
import { EventHistory } from './history';
import { EDGE_SUSPECT_HOLD_MS, judgeLocalFault, localFaultReason, type EdgeSuspicion, type LocalFaultVerdict } from './local-fault';
import { MediaProbeGate, type MediaProbeOutcome } from './media-probe';
import { MediaWindow } from './media-window';
import { ProbeWindow } from './probe-window';
import { RoundTrips } from './round-trips';
import { computeScore, type Score } from './score';
import { HealthMachine, type Transition } from './state-machine';
import type { AttemptVerdict, HealthEvent, HealthState, ProbeResult } from './types';

export const TICK_MS = 100;
const STATES: readonly HealthState[] = ['active', 'degraded', 'down', 'probing'];
/** How far back another carrier's requests can witness for (or against) one carrier's slowness. */
const WITNESS_MS = 60_000;

interface Entry {
  readonly id: string;
  readonly machine: HealthMachine;
  probes: ProbeWindow;
  readonly calls: CallWindow;
  readonly media: MediaWindow;
  /** Its recent requests and on-time answers: the witness for other carriers' slowness. */
  readonly trips: RoundTrips;
  score: Score;
  probesEnabled: boolean;
  /** Present when the carrier has synthetic media probes (carriers.yaml mediaProbe:). */
  mediaProbe: MediaProbeGate | undefined;
}

/** Handed to the call layer per outbound attempt. */
export interface AttemptTrack {
  /** Any response, 100 Trying included. */
  responded(now: number): void;
  /** First ringing (18x) or the answer: post-dial delay. */
  rang(pddMs: number): void;
  /**
   * The attempt ended. Returns what health decided beyond the verdict it was given: the edge's own
   * slowness took the blame for an unanswered INVITE (src/health/blame.ts), so the carrier was not
   * charged — the CDR says so (src/call/cdr.ts followHealth). Undefined: the verdict stood.
   */
  finished(verdict: AttemptVerdict, now: number): EdgeBlame | undefined;
}

/**
 * Health did not charge the carrier for an attempt's failure, and why: the edge itself was to blame,
 * or it was too early to tell (no other carrier's answer was due yet — src/health/blame.ts rule 4).
 */
export interface EdgeBlame {
  readonly blame: 'edge' | 'undecided';
  readonly why: string;
}

export interface HealthDeps {
  logger: Logger;
  metrics: Metrics;
  /** Whether the operator has the carrier in service (enabled, not drained / disabled). */
  operatorInService(id: string): boolean;
  /** Milliseconds the edge itself was stalled within [from, to] (src/call/stall-clock.ts); none if absent. */
  edgeStalledWithin?(from: number, to: number): number;
}

/** What the monitor reads from the configuration: the health block and each carrier's id and probing. */
export type HealthView = Pick<TrunkwiseConfig, 'health'> & { readonly carriers: ReadonlyArray<{ readonly id: string; readonly probe: { readonly enabled: boolean }; readonly mediaProbe?: object }> };

/** A single probe call of this many RTP packets (2 s) or more can clear a media hold. */
const PROBE_MIN_PACKETS = 100;

export class HealthMonitor {
  private readonly entries = new Map<string, Entry>();
  private cfg: HealthConfig;
  private readonly history: EventHistory;
  private lastEval = 0;
  private lastTick = 0;
  /** Carriers that looked silent at the previous tick: silence must be seen on two ticks running. */
  private readonly silentOnce = new Set<string>();
  private localFault = false;
  private scoreFault: LocalFaultVerdict = { fault: false, sick: [], counted: 0 };
  /** The latest carrier observation not charged because the edge itself was to blame. */
  private edgeSuspect: EdgeSuspicion | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stateListeners: Array<(carrier: string, t: Transition) => void> = [];

  constructor(config: HealthView, private readonly deps: HealthDeps, now: number) {
    this.cfg = config.health;
    this.history = new EventHistory(this.cfg.history);
    this.sync(config, now);
  }

  /** Carriers added / removed / reconfigured by a reload keep (or start) their state. */
  sync(config: HealthView, now: number): void {
    const sizeChanged = config.health.probeWindow !== this.cfg.probeWindow;
    this.cfg = config.health;
    this.history.resize(this.cfg.history);
    const ids = new Set(config.carriers.map((c) => c.id));
    for (const id of [...this.entries.keys()]) if (!ids.has(id)) this.entries.delete(id);
    for (const c of config.carriers) {
      const e = this.entries.get(c.id);
      if (!e) {
        this.entries.set(c.id, {
          id: c.id, machine: new HealthMachine(this.cfg, now), probes: new ProbeWindow(this.cfg.probeWindow),
          calls: new CallWindow(this.cfg.windowMs), media: new MediaWindow(this.cfg.mediaWindowMs), trips: new RoundTrips(WITNESS_MS), score: { score: 1, readings: [], unscored: [] }, probesEnabled: c.probe.enabled,
          mediaProbe: c.mediaProbe ? this.newGate() : undefined,
        });
        this.publishState(c.id, 'active');
        continue;
      }
      e.machine.reconfigure(this.cfg);
      e.media.resize(this.cfg.mediaWindowMs);
      e.probesEnabled = c.probe.enabled;
      if (!c.mediaProbe) e.mediaProbe = undefined;
      else if (e.mediaProbe) e.mediaProbe.reconfigure(this.cfg.signals.mediaLoss.good, Math.min(PROBE_MIN_PACKETS, this.cfg.mediaMinPackets));
      else e.mediaProbe = this.newGate();
      if (sizeChanged) e.probes = new ProbeWindow(this.cfg.probeWindow);
    }
  }

  start(): void {
    this.timer = setInterval(() => this.tick(Date.now()), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  attemptStarted(id: string, now: number): AttemptTrack {
    const e = this.entries.get(id);
    if (!e) return { responded: () => undefined, rang: () => undefined, finished: () => undefined };
    const token = e.calls.started(now);
    e.trips.sent(now);
    let pddMs: number | undefined;
    let firstResponseMs: number | undefined;
    let heard = false;
    return {
      responded: (at) => {
        if (!heard) {
          const ms = at - now;
          e.trips.answered(now, ms, this.cfg.lateAfterMs);
          // A late answer while every other carrier was late too is the edge's backlog: not scored.
          if (ms <= this.cfg.lateAfterMs || !this.edgeToBlame(e, 'a late answer', now, at)) firstResponseMs = ms;
        }
        heard = true;
        e.calls.responded();
        e.machine.hardSuccess();
      },
      rang: (ms) => void (pddMs ??= ms),
      finished: (verdict, at) => {
        const unanswered = !heard && verdict === 'failure';
        const local = unanswered ? this.edgeToBlame(e, 'an INVITE with no response', now, at) : undefined;
        e.calls.finished(token, local ? 'ignored' : verdict, pddMs, at, firstResponseMs);
        if (unanswered && !local) this.apply(e, e.machine.hardFailure(at, 'INVITE with no response'), at);
        return local;
      },
    };
  }

  /** An interval sample of one call's RTP from the carrier: packets expected and lost since the last one. */
  mediaSample(id: string, stream: string, expected: number, lost: number, now: number): void {
    this.entries.get(id)?.media.add(stream, expected, lost, now);
  }

  probe(id: string, r: ProbeResult): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (r.kind !== 'lost') {
      const sentAt = r.at - r.rttMs;
      e.trips.sent(sentAt);
      e.trips.answered(sentAt, r.rttMs, this.cfg.lateAfterMs);
      // Late because every carrier was (or the edge stalled): not scored, neither as late nor its RTT.
      if (r.rttMs <= this.cfg.lateAfterMs || !this.edgeToBlame(e, 'a late probe answer', sentAt, r.at)) e.probes.add(r);
    } else {
      e.probes.add(r);
    }
    this.deps.metrics.probes.inc({ carrier: id, result: r.kind === 'alive' && r.rttMs > this.cfg.lateAfterMs ? 'late' : r.kind });
    if (r.kind !== 'lost') this.deps.metrics.probeRttSeconds.observe({ carrier: id }, r.rttMs / 1000);
  }

  probeRound(id: string, ok: boolean, now: number): void {
    const e = this.entries.get(id);
    if (e) this.apply(e, e.machine.probeRound(now, ok, e.mediaProbe?.held === true), now);
  }

  /**
   * A synthetic probe call ended (its RTP came in through mediaSample meanwhile). Its set-up is a
   * probe-like signal — a carrier that fails it takes a hard failure, one that answers a hard
   * success — never a customer call outcome; a clean one releases a media hold.
   */
  mediaProbeResult(id: string, r: MediaProbeOutcome): void {
    const e = this.entries.get(id);
    if (!e?.mediaProbe) return;
    if (e.mediaProbe.add(r)) this.deps.logger.info({ event: 'media-probe-clean', carrier: id }, `carrier ${id}: a clean media probe call: it may recover on its other signals now`);
    if (r.kind === 'failed') this.apply(e, e.machine.hardFailure(r.at, `media probe call failed: ${r.reason}`), r.at);
    else e.machine.hardSuccess();
  }

  /**
   * The silence check runs only on a punctual tick: after an event-loop stall, responses that did
   * arrive may still be queued behind this timer, and a busy edge must not call its carriers dead.
   */
  tick(now: number): void {
    const punctual = now - this.lastTick <= TICK_MS * 2;
    this.lastTick = now;
    for (const e of this.entries.values()) {
      const s = e.calls.silence(now);
      const silent = e.machine.inService() && s.count >= this.cfg.silenceAttempts && s.oldestMs >= this.cfg.silenceMs;
      if (!silent || !punctual) {
        if (!silent) this.silentOnce.delete(e.id);
        continue;
      }
      if (!this.silentOnce.has(e.id)) {
        this.silentOnce.add(e.id);
        continue;
      }
      const excused = this.edgeToBlame(e, `silence (${s.count} INVITEs unanswered)`, now - s.oldestMs, now);
      // Undecided: the other carriers' answers are not due yet — judged again on the next tick.
      if (excused?.blame !== 'undecided') this.silentOnce.delete(e.id);
      if (excused) continue;
      this.apply(e, e.machine.silent(now, `no response at all to ${s.count} INVITEs, oldest sent ${s.oldestMs} ms ago`), now);
    }
    if (now - this.lastEval >= this.cfg.evaluateMs) this.evaluate(now);
    else this.refreshLocalFault(now);
  }

  /** Scores every carrier, runs the local-fault guard, then each state machine. */
  evaluate(now: number): void {
    this.lastEval = now;
    for (const e of this.entries.values()) e.score = this.scoreOf(e, now);
    this.scoreFault = judgeLocalFault([...this.entries.values()].map((e) => ({
      id: e.id, counted: this.deps.operatorInService(e.id), sick: e.machine.state !== 'active' || e.score.score < this.cfg.degradedBelow,
    })), this.cfg.localFaultFraction);
    this.refreshLocalFault(now);
    for (const e of this.entries.values()) {
      this.apply(e, e.machine.evaluate(now, e.score.score, { guard: this.localFault, probesEnabled: e.probesEnabled, hold: e.mediaProbe?.held === true }), now);
      this.publishGauges(e, now);
    }
  }

  snapshot(id: string, now: number): { state: HealthState; score: number; rampFactor: number } | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return { state: e.machine.state, score: e.score.score, rampFactor: e.machine.rampFactor(now) };
  }

  /** Called after every state change (e.g. the call layer gives up attempts waiting on a carrier that went down). */
  onStateChange(fn: (carrier: string, t: Transition) => void): void {
    this.stateListeners.push(fn);
  }

  localFaultSuspected(): boolean {
    return this.localFault;
  }

  /** Everything the API shows for one carrier: state, score, each signal's value and contribution. */
  view(id: string, now: number): Record<string, unknown> | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const p = e.probes.summary(this.cfg.lateAfterMs);
    return {
      state: e.machine.state, since: new Date(e.machine.since).toISOString(), score: round(e.score.score), rampFactor: round(e.machine.rampFactor(now)),
      flapFactor: e.machine.flapFactor(now), probes: { enabled: e.probesEnabled, samples: p.samples, lost: p.lost, late: p.late, rttMs: opt(p.rttMs), jitterMs: opt(p.jitterMs) },
      signals: e.score.readings.map((r) => ({ ...r, value: round(r.value), health: round(r.health), factor: round(r.factor) })),
      unscored: e.score.unscored,
      ...(e.mediaProbe && { mediaProbe: e.mediaProbe.view() }),
    };
  }

  events(carrier?: string): HealthEvent[] {
    return this.history.list(carrier);
  }

  private newGate(): MediaProbeGate {
    return new MediaProbeGate(this.cfg.signals.mediaLoss.good, Math.min(PROBE_MIN_PACKETS, this.cfg.mediaMinPackets));
  }

  private scoreOf(e: Entry, now: number): Score {
    return computeScore({
      probes: e.probes.summary(this.cfg.lateAfterMs), calls: e.calls.summary(now, this.cfg.lateAfterMs), media: e.media.summary(now), mediaMinPackets: this.cfg.mediaMinPackets,
    }, this.cfg);
  }

  private apply(e: Entry, t: Transition | undefined, now: number): void {
    if (!t) return;
    // Probing starts a fresh probe record (the losses that took it down are history), and a recovered
    // carrier a fresh call record; its score is recomputed at once from what probing saw.
    if (t.to === 'probing') e.probes.clear();
    if (t.to === 'down' || t.to === 'degraded') e.mediaProbe?.leftService(e.score.readings.find((r) => r.name === 'mediaLoss')?.value, `went ${t.to}`);
    if (t.to === 'active' && t.from !== 'degraded') {
      e.calls.clear();
      e.media.clear();
      e.score = this.scoreOf(e, now);
    }
    const ev = { kind: 'state' as const, at: now, carrier: e.id, from: t.from, to: t.to, reason: t.reason, score: round(e.score.score) };
    this.history.add(ev);
    this.deps.metrics.stateChanges.inc({ carrier: e.id, to: t.to });
    this.publishState(e.id, t.to);
    const level = t.to === 'down' ? 'error' : t.to === 'degraded' ? 'warn' : 'info';
    this.deps.logger[level]({ event: 'carrier-state', carrier: e.id, from: t.from, to: t.to, reason: t.reason, score: ev.score }, `carrier ${e.id}: ${t.from} → ${t.to}`);
    for (const fn of this.stateListeners) fn(e.id, t);
  }

  /**
   * Whether the edge, not carrier `e`, is to blame for its slowness on a request sent at `sentAt`
   * (src/health/blame.ts, witnesses: the other in-service carriers). If so it is noted for the
   * local-fault alarm and nothing is charged to the carrier. Undecided (the witnesses' answers not
   * due yet) is returned too: nothing charged, no alarm.
   */
  private edgeToBlame(e: Entry, what: string, sentAt: number, now: number): EdgeBlame | undefined {
    const v: BlameVerdict = blameSlowness({
      edgeStalledMs: this.deps.edgeStalledWithin?.(sentAt, now) ?? 0, toleranceMs: STALL_TOLERANCE_MS,
      peers: [...this.entries.values()].filter((p) => p !== e && p.machine.inService() && this.deps.operatorInService(p.id)).map((p) => ({
        id: p.id, answeredOnTimeSince: p.trips.answeredOnTimeSince(sentAt), askedSince: p.trips.askedBetween(sentAt, now - this.cfg.lateAfterMs),
        awaitingSince: p.trips.askedBetween(Math.max(sentAt, now - this.cfg.lateAfterMs + 1), now),
      })),
    });
    if (v.blame === 'carrier') return undefined;
    if (v.blame === 'undecided') return { blame: 'undecided', why: v.why };
    const carriers = this.edgeSuspect && now - this.edgeSuspect.at <= EDGE_SUSPECT_HOLD_MS ? this.edgeSuspect.carriers : [];
    this.edgeSuspect = { at: now, carriers: carriers.includes(e.id) ? carriers : [...carriers, e.id], why: `${what} from ${e.id} not charged: ${v.why}` };
    return { blame: 'edge', why: v.why };
  }

  /** The alarm is up while most carriers are sick by score, or shortly after the edge took the blame for a carrier's slowness. */
  private refreshLocalFault(now: number): void {
    const edge = this.edgeSuspect && now - this.edgeSuspect.at <= EDGE_SUSPECT_HOLD_MS ? this.edgeSuspect : undefined;
    const fault = this.scoreFault.fault || edge !== undefined;
    if (fault === this.localFault) return;
    const sick = this.scoreFault.fault || !edge ? this.scoreFault.sick : edge.carriers;
    this.setLocalFault(fault, sick, localFaultReason(this.scoreFault, edge, this.cfg.localFaultFraction), now);
  }

  private setLocalFault(fault: boolean, sick: readonly string[], reason: string, now: number): void {
    this.localFault = fault;
    this.history.add({ kind: fault ? 'local-fault-raised' : 'local-fault-cleared', at: now, carriers: sick, reason });
    this.deps.metrics.localFault.set(fault ? 1 : 0);
    if (fault) {
      this.deps.metrics.localFaultsRaised.inc();
      this.deps.logger.error({ event: 'local-fault', carriers: sick, reason }, 'LOCAL FAULT suspected: most carriers degraded, or every carrier slow at once — check this edge (load, uplink, datacenter); routing continues by relative score');
    } else {
      this.deps.logger.warn({ event: 'local-fault-cleared', reason }, 'local fault cleared');
    }
  }

  private publishState(id: string, state: HealthState): void {
    for (const s of STATES) this.deps.metrics.carrierState.set({ carrier: id, state: s }, s === state ? 1 : 0);
  }

  private publishGauges(e: Entry, now: number): void {
    const m = this.deps.metrics;
    m.carrierScore.set({ carrier: e.id }, e.score.score);
    m.carrierRamp.set({ carrier: e.id }, e.machine.rampFactor(now));
    for (const r of e.score.readings) m.signalValue.set({ carrier: e.id, signal: r.name }, r.value);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function opt(x: number | undefined): number | null {
  return x === undefined ? null : round(x);
}
