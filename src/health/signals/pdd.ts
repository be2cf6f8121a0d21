/** Post-dial delay: median time from INVITE to the first ringing (18x) or answer over the window. */
import type { Signal } from './signal';

export const pdd: Signal = {
  name: 'pdd',
  unit: 'ms',
  read({ calls }, minSamples) {
    if (calls.pddSamples < minSamples || calls.pddMedianMs === undefined) return { samples: calls.pddSamples, note: `fewer than ${minSamples} rung or answered attempts` };
    return { value: calls.pddMedianMs, samples: calls.pddSamples };
  },
};
