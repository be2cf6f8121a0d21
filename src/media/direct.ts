/**
 * `media: direct` — no anchoring: SDP passes through untouched and RTP flows between the IVR and the
 * carrier. Nothing to measure, nothing to release.
 */
import type { CallMediaSession, MediaAnchor } from '../call/media-port';

export const directSession: CallMediaSession = {
  offer: async (sdp) => sdp,
  answer: async (sdp) => sdp,
  reoffer: async (_from, sdp) => sdp,
  reanswer: async (_to, sdp) => sdp,
  sample: async () => undefined,
  stats: async () => ({ mode: 'direct' }),
  close: async () => undefined,
};

export const directAnchor: MediaAnchor = { open: async () => directSession };
