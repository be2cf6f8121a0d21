/**
 * Synthetic media probes: for every carrier with `mediaProbe:` in carriers.yaml, a short test call
 * to its test number every intervalMs (src/drills/synthetic-probe.ts), so its media loss is known
 * even when no customer call is up on it — the night of the outage, signalling looked fine while
 * media was broken. What a probe call measures goes to the carrier's health: RTP loss as media
 * samples (its mediaLoss signal), the set-up as a probe-like signal (src/health/media-probe.ts).
 *
 * Caps: probe calls take no slot under the carrier's maxConcurrent / maxCps (they never reach the
 * call layer's admission), so they can never block a customer call; they are bounded on their own by
 * mediaProbe.maxConcurrent per carrier and one per interval. Carriers the operator drained or
 * disabled get none; a carrier health took down does (that is how its media is known to be back).
 */
import { randomUUID } from 'node:crypto';
import type { CarrierConfig } from '../config/types';
import type { MediaProbeOutcome } from '../health/media-probe';
import type { Logger } from '../observability/logger';
import type { SyntheticMetrics } from '../observability/metrics';
import { placeProbeCall, type ProbeCallDeps, type ProbeCallResult } from './synthetic-probe';

export interface ProbeSink {
  /** RTP loss from the carrier while a probe call is up (as customer calls' samples are fed). */
  mediaSample(carrier: string, stream: string, expected: number, lost: number, now: number): void;
  /** The probe call's end, for the carrier's health. */
  mediaProbeResult(carrier: string, r: MediaProbeOutcome): void;
}

export interface SyntheticProbesDeps {
  call: ProbeCallDeps;
  sink: ProbeSink;
  metrics: SyntheticMetrics;
  logger: Logger;
  /** Enabled and not drained / disabled by the operator. */
  operatorInService(carrier: string): boolean;
  credentials(carrier: string): { username: string; password: string } | undefined;
  /** How often a probe call's RTP is sampled while up (default 1 s). */
  sampleEveryMs?: number;
}

interface Scheduled {
  readonly key: string;
  /** The first probe's timeout, then the interval's timer. */
  timer: NodeJS.Timeout;
}

export class SyntheticProbes {
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly running = new Map<string, number>();
  private readonly calls = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly d: SyntheticProbesDeps) {}

  /** Start, reschedule or stop each carrier's probes to match the configuration. */
  sync(carriers: readonly CarrierConfig[]): void {
    if (this.stopped) return;
    const wanted = new Map(carriers.filter((c) => c.mediaProbe).map((c) => [c.id, c]));
    for (const [id, s] of this.scheduled) {
      const c = wanted.get(id);
      if (!c || key(c) !== s.key) {
        clearTimeout(s.timer);
        clearInterval(s.timer);
        this.scheduled.delete(id);
      }
    }
    for (const [id, c] of wanted) {
      if (this.scheduled.has(id)) continue;
      // The first probe soon after start (or reload), not a whole interval later; the period counts from it.
      const entry: Scheduled = {
        key: key(c),
        timer: setTimeout(() => {
          if (this.scheduled.get(id) !== entry) return;
          entry.timer = setInterval(() => this.fire(c), c.mediaProbe!.intervalMs);
          entry.timer.unref();
          this.fire(c);
        }, Math.min(1000, c.mediaProbe!.intervalMs)),
      };
      entry.timer.unref();
      this.scheduled.set(id, entry);
    }
  }

  /** Probe calls under way, all carriers. */
  get active(): number {
    return [...this.running.values()].reduce((a, b) => a + b, 0);
  }

  /** No new probes; calls under way hang up at their next step (their results are not charged) and are awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.scheduled.values()) {
      clearTimeout(s.timer);
      clearInterval(s.timer);
    }
    this.scheduled.clear();
    await Promise.all([...this.calls]);
  }

  private fire(c: CarrierConfig): void {
    const mp = c.mediaProbe;
    if (this.stopped || !mp) return;
    if (!this.d.operatorInService(c.id)) return;
    const n = this.running.get(c.id) ?? 0;
    if (n >= mp.maxConcurrent) {
      this.d.metrics.probes.inc({ carrier: c.id, result: 'skipped' });
      this.d.logger.warn({ event: 'synthetic-probe', carrier: c.id, running: n }, `synthetic probe to ${c.id} skipped: ${n} still up`);
      return;
    }
    this.running.set(c.id, n + 1);
    this.d.metrics.running.set({ carrier: c.id }, n + 1);
    const p = this.one(c).finally(() => {
      const left = (this.running.get(c.id) ?? 1) - 1;
      this.running.set(c.id, left);
      this.d.metrics.running.set({ carrier: c.id }, left);
      this.calls.delete(p);
    });
    this.calls.add(p);
  }

  private async one(c: CarrierConfig): Promise<void> {
    const mp = c.mediaProbe!;
    const callId = `probe-${randomUUID()}`;
    const startedAt = this.d.call.now();
    const t = c.target;
    const uri = `${t.scheme}:${mp.testNumber}@${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port};transport=${t.transport}`;
    const auth = this.d.credentials(c.id);
    const r = await placeProbeCall(this.d.call, {
      callId, carrier: c.id, uri, durationMs: mp.durationMs, setupTimeoutMs: mp.setupTimeoutMs, sampleEveryMs: this.d.sampleEveryMs ?? 1000,
      ...(auth && { auth }),
      stopped: () => this.stopped,
      onSample: (s) => this.d.sink.mediaSample(c.id, callId, s.expected, s.lost, this.d.call.now()),
    });
    this.report(c.id, callId, mp.testNumber, uri, startedAt, r);
  }

  private report(carrier: string, callId: string, to: string, uri: string, startedAt: number, r: ProbeCallResult): void {
    const { metrics, logger, sink } = this.d;
    const at = this.d.call.now();
    metrics.probes.inc({ carrier, result: r.outcome });
    if (r.outcome === 'answered') {
      const f = r.fromCarrier;
      metrics.setupSeconds.observe({ carrier }, r.setupMs / 1000);
      if (f) {
        metrics.loss.set({ carrier }, f.fractionLost);
        metrics.jitterSeconds.set({ carrier }, f.jitterMs / 1000);
      }
      if (!this.stopped) sink.mediaProbeResult(carrier, { kind: 'answered', at, setupMs: r.setupMs, expected: f?.expected ?? 0, lost: f?.lost ?? 0, jitterMs: f?.jitterMs ?? 0 });
    } else if (r.outcome === 'failed') {
      if (!this.stopped) sink.mediaProbeResult(carrier, { kind: 'failed', at, status: r.status, reason: r.reason });
    } else {
      logger.warn({ event: 'synthetic-probe', carrier, outcome: r.outcome, reason: r.reason }, r.outcome === 'rejected'
        ? `synthetic probe to ${carrier}: the test number answered ${r.reason} — check mediaProbe.testNumber (not charged to the carrier)`
        : `synthetic probe to ${carrier} failed inside trunkwise: ${r.reason} (not charged to the carrier)`);
    }
    const answered = r.outcome === 'answered';
    const status = answered ? 200 : r.outcome === 'local' ? undefined : r.status;
    logger.info({
      cdr: {
        callId, route: 'synthetic-probe', source: 'trunkwise', to, startedAt, synthetic: true,
        outcome: answered ? 'answered' : 'failed', ...(status !== undefined && { finalStatus: status }), ...(r.outcome !== 'local' && { setupMs: r.setupMs }),
        ...(answered && { durationMs: r.heldMs, media: { mode: 'relay', ...(r.fromCarrier && { fromCarrier: r.fromCarrier }), ...(r.fromCaller && { fromCaller: r.fromCaller }) } }),
        attempts: [{
          carrier, uri, startedAt, ...(status !== undefined && { status }), ...(r.outcome !== 'local' && { finalMs: r.setupMs }),
          outcome: answered ? 'answered' : r.outcome === 'local' ? 'internal' : 'rejected', fault: r.outcome === 'failed' ? 'carrier' : r.outcome === 'local' ? 'local' : 'none',
          ...(r.outcome !== 'answered' && { reason: r.reason }),
        }],
      },
    }, 'cdr');
  }
}

const key = (c: CarrierConfig): string => JSON.stringify([c.mediaProbe, c.target]);
