/**
 * Fraction of recent probes answered only after `lateAfterMs` (T1, 500 ms): over UDP that means the
 * first OPTIONS was lost and its retransmission answered. This sees partial packet loss that a
 * probe timeout (which needs every retransmission lost) never shows.
 */
import type { Signal } from './signal';

export const probeLate: Signal = {
  name: 'probeLate',
  unit: 'ratio',
  read({ probes }, minSamples) {
    if (probes.samples < minSamples) return { samples: probes.samples, note: `fewer than ${minSamples} probes` };
    return { value: probes.late / probes.samples, samples: probes.samples };
  },
};
