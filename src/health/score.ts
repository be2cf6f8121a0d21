/**
 * The score: a product of one factor per signal, each factor = 1 − weight × (1 − health), where
 * health falls linearly from 1 at the signal's `good` threshold to 0 at its `bad` one. A signal
 * with weight 1 at or past `bad` alone brings the score to 0; weight 0.5 can at most halve it.
 * Pure: the API shows every reading, so the score explains itself.
 */
import type { HealthConfig } from '../config/types';
import { SIGNALS, type SignalSources } from './signals';
import type { SignalReading, UnscoredSignal } from './types';

export interface Score {
  readonly score: number;
  readonly readings: readonly SignalReading[];
  readonly unscored: readonly UnscoredSignal[];
}

/** 1 at or better than good, 0 at or worse than bad, linear between; works for either direction. */
export function signalHealth(value: number, good: number, bad: number): number {
  const h = (bad - value) / (bad - good);
  return h < 0 ? 0 : h > 1 ? 1 : h;
}

export function computeScore(src: SignalSources, cfg: HealthConfig): Score {
  const readings: SignalReading[] = [];
  const unscored: UnscoredSignal[] = [];
  let score = 1;
  for (const s of SIGNALS) {
    const v = s.read(src, cfg.minSamples);
    if (!('value' in v)) {
      unscored.push({ name: s.name, samples: v.samples, note: v.note });
      continue;
    }
    const t = cfg.signals[s.name];
    const health = signalHealth(v.value, t.good, t.bad);
    const factor = 1 - t.weight * (1 - health);
    score *= factor;
    readings.push({ name: s.name, value: v.value, unit: s.unit, samples: v.samples, health, weight: t.weight, factor, good: t.good, bad: t.bad });
  }
  return { score, readings, unscored };
}
