/** Smoothed OPTIONS round-trip time (EWMA, RFC 6298 style). */
import type { Signal } from './signal';

export const rtt: Signal = {
  name: 'rtt',
  unit: 'ms',
  read({ probes }) {
    if (probes.rttMs === undefined) return { samples: 0, note: 'no probe answered yet' };
    return { value: probes.rttMs, samples: probes.samples };
  },
};
