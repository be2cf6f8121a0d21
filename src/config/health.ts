/**
 * carriers.yaml `health:` after the schema: built-in defaults (documented in the README, "Carrier
 * health"), then the cross-field checks a schema cannot express (thresholds ordered, good ≠ bad).
 */
import type { RawHealth } from './schema';
import type { ConfigError, HealthConfig, HealthSignalName, SignalThresholds } from './types';
import { formatPath, type Checked } from './validate';
import type { PathSegment, YamlSource } from './yaml-source';

export const HEALTH_DEFAULTS: HealthConfig = {
  evaluateMs: 1000,
  windowMs: 30_000,
  probeWindow: 60,
  minSamples: 5,
  lateAfterMs: 500,
  downAfter: 3,
  upAfter: 3,
  degradeAfter: 3,
  recoverAfter: 5,
  degradedBelow: 0.7,
  recoverAbove: 0.85,
  downBelow: 0.15,
  rampMs: 30_000,
  rampStart: 0.1,
  downHoldMs: 0,
  flapWindowMs: 300_000,
  maxFlapFactor: 8,
  silenceMs: 500,
  silenceAttempts: 3,
  localFaultFraction: 0.6,
  history: 500,
  mediaWindowMs: 10_000,
  mediaMinPackets: 250,
  signals: {
    probeLoss: { good: 0, bad: 0.3, weight: 1 },
    probeLate: { good: 0.02, bad: 0.1, weight: 1 },
    rtt: { good: 150, bad: 1000, weight: 0.5 },
    callFailure: { good: 0.02, bad: 0.3, weight: 1 },
    pdd: { good: 3000, bad: 10_000, weight: 0.3 },
    callLate: { good: 0.02, bad: 0.1, weight: 1 },
    mediaLoss: { good: 0.01, bad: 0.05, weight: 1 },
  },
};

const SIGNAL_NAMES = Object.keys(HEALTH_DEFAULTS.signals) as HealthSignalName[];

export function buildHealth(src: YamlSource, raw: RawHealth | undefined): Checked<HealthConfig> {
  const errors: ConfigError[] = [];
  const err = (path: PathSegment[], message: string, fix: string): void => {
    const line = src.lineOf(path);
    errors.push({ file: src.file, path: formatPath(path), message, fix, ...(line !== undefined && { line }) });
  };
  const r = raw ?? {};
  const signals = {} as Record<HealthSignalName, SignalThresholds>;
  for (const name of SIGNAL_NAMES) {
    const s: SignalThresholds = { ...HEALTH_DEFAULTS.signals[name], ...r.signals?.[name] };
    if (s.good === s.bad) err(['health', 'signals', name], `signal ${name}: good and bad are both ${s.good}`, 'make bad worse than good (e.g. good: 0.02, bad: 0.1)');
    signals[name] = s;
  }
  const { signals: _ignored, ...scalars } = r;
  const h: HealthConfig = { ...HEALTH_DEFAULTS, ...scalars, signals };
  if (!(h.downBelow < h.degradedBelow)) {
    err(['health', 'downBelow'], `downBelow (${h.downBelow}) must be below degradedBelow (${h.degradedBelow})`, 'e.g. downBelow: 0.15, degradedBelow: 0.7');
  }
  if (!(h.degradedBelow < h.recoverAbove)) {
    err(['health', 'recoverAbove'], `recoverAbove (${h.recoverAbove}) must be above degradedBelow (${h.degradedBelow}) — the gap is the hysteresis`,
      'e.g. degradedBelow: 0.7, recoverAbove: 0.85');
  }
  if (h.silenceMs < h.lateAfterMs) {
    err(['health', 'silenceMs'], `silenceMs (${h.silenceMs}) is shorter than lateAfterMs (${h.lateAfterMs}): one lost INVITE would look like a dead carrier`,
      'raise silenceMs above the UDP retransmission interval (T1, 500 ms)');
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: h };
}
