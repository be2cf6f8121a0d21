/**
 * A health signal: one small module that reads one number from a carrier's observations. The scorer
 * turns it into a 0..1 health with the thresholds from carriers.yaml (`health.signals.<name>`).
 * Adding a signal = a module like the ones beside this file + its name in config + one line in index.ts.
 */
import type { HealthSignalName } from '../../config/types';
import type { CallSummary } from '../call-window';
import type { MediaSummary } from '../media-window';
import type { ProbeSummary } from '../probe-window';

/** What the signals can look at, summarised once per evaluation. */
export interface SignalSources {
  readonly probes: ProbeSummary;
  readonly calls: CallSummary;
  readonly media: MediaSummary;
  readonly mediaMinPackets: number;
}

export type SignalValue = { value: number; samples: number } | { samples: number; note: string };

export interface Signal {
  readonly name: HealthSignalName;
  readonly unit: 'ratio' | 'ms';
  /** The signal's current value, or why it has none; `minSamples` is the config's. */
  read(src: SignalSources, minSamples: number): SignalValue;
}
