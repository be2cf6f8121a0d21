/**
 * RTP packet loss on the media the carrier sends us, measured live by the relay on the calls up on
 * it (RFC 3550 expected − received, sampled every few seconds), over the media window.
 */
import type { Signal } from './signal';

export const mediaLoss: Signal = {
  name: 'mediaLoss',
  unit: 'ratio',
  read({ media, mediaMinPackets }) {
    if (media.expected < mediaMinPackets) return { samples: media.expected, note: `fewer than ${mediaMinPackets} RTP packets expected in the window` };
    return { value: media.lost / media.expected, samples: media.expected };
  },
};
