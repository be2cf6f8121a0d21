/**
 * Fraction of recent INVITEs whose first response (100 Trying included) came after `lateAfterMs`
 * (T1): over UDP the INVITE or its 100 was lost and the retransmission answered. Partial packet loss
 * on the signalling path shows here within seconds of real traffic, long before anything times out.
 */
import type { Signal } from './signal';

export const callLate: Signal = {
  name: 'callLate',
  unit: 'ratio',
  read({ calls }, minSamples) {
    if (calls.responded < minSamples) return { samples: calls.responded, note: `fewer than ${minSamples} answered INVITEs in the window` };
    return { value: calls.late / calls.responded, samples: calls.responded };
  },
};
