/**
 * Other processes' attempts, replayed into this process's health monitor from their observations.
 * Times are this process's receipt times (the stream is fast; clocks of other hosts may differ).
 * An attempt whose process died before reporting its end is closed as `ignored` after two minutes,
 * so it never looks like a carrier's silence.
 */
import type { AttemptTrack, HealthMonitor } from '../health/monitor';
import type { ProbeResult } from '../health/types';
import type { StampedObservation } from '../state';

const ORPHAN_MS = 120_000;

export class RemoteAttempts {
  private readonly open = new Map<string, { track: AttemptTrack; at: number }>();

  constructor(private readonly health: HealthMonitor) {}

  apply(o: StampedObservation, now: number): void {
    switch (o.kind) {
      case 'attempt-start':
        this.open.set(`${o.origin}/${o.ref}`, { track: this.health.attemptStarted(o.carrier, now), at: now });
        return;
      case 'attempt-responded':
        return this.open.get(`${o.origin}/${o.ref}`)?.track.responded(now);
      case 'attempt-rang':
        return this.open.get(`${o.origin}/${o.ref}`)?.track.rang(o.pddMs);
      case 'attempt-finished': {
        const key = `${o.origin}/${o.ref}`;
        this.open.get(key)?.track.finished(o.verdict, now);
        this.open.delete(key);
        return;
      }
      case 'probe':
        return this.health.probe(o.carrier, probeResult(o.result, now));
      case 'probe-round':
        return this.health.probeRound(o.carrier, o.ok, now);
      case 'media':
        return this.health.mediaSample(o.carrier, `${o.origin}/${o.stream}`, o.expected, o.lost, now);
    }
  }

  sweep(now: number): void {
    for (const [k, v] of this.open) {
      if (now - v.at < ORPHAN_MS) continue;
      v.track.finished('ignored', now);
      this.open.delete(k);
    }
  }

  get size(): number {
    return this.open.size;
  }
}

function probeResult(r: Extract<StampedObservation, { kind: 'probe' }>['result'], now: number): ProbeResult {
  if (r.kind === 'lost') return { kind: 'lost', at: now };
  if (r.kind === 'alive') return { kind: 'alive', at: now, rttMs: r.rttMs ?? 0 };
  return { kind: 'not-alive', at: now, rttMs: r.rttMs ?? 0, status: r.status ?? 0 };
}
