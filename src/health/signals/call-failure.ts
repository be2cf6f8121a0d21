/** Fraction of recent attempts that failed by the carrier's fault: 5xx, 408, no provisional, transport error. */
import type { Signal } from './signal';

export const callFailure: Signal = {
  name: 'callFailure',
  unit: 'ratio',
  read({ calls }, minSamples) {
    if (calls.samples < minSamples) return { samples: calls.samples, note: `fewer than ${minSamples} attempts in the window` };
    return { value: calls.failures / calls.samples, samples: calls.samples };
  },
};
