/** Fraction of recent OPTIONS probes with no alive answer within the per-probe timeout. */
import type { Signal } from './signal';

export const probeLoss: Signal = {
  name: 'probeLoss',
  unit: 'ratio',
  read({ probes }, minSamples) {
    if (probes.samples < minSamples) return { samples: probes.samples, note: `fewer than ${minSamples} probes` };
    return { value: probes.lost / probes.samples, samples: probes.samples };
  },
};
