/**
 * Live per-carrier RTP loss: every few seconds, each call up with anchored media is asked for the
 * packets expected and lost from its carrier since the last sample, and carrier health gets them
 * (its mediaLoss signal). Sampling is not on the packet path; a slow anchor delays only itself.
 */
import type { MediaTracker } from '../call/media-tracker';
import type { HealthMonitor } from '../health/monitor';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

export const MEDIA_SAMPLE_MS = 2000;

export function startMediaSampler(tracker: MediaTracker, health: Pick<HealthMonitor, 'mediaSample'>, metrics: Metrics, logger: Logger, everyMs = MEDIA_SAMPLE_MS): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    metrics.mediaSessions.set(tracker.size);
    if (running) return;
    running = true;
    const now = Date.now();
    void Promise.all(tracker.all().map(async (m) => {
      try {
        const s = await m.session.sample(now);
        if (s) health.mediaSample(m.carrier, m.callId, s.expected, s.lost, now);
      } catch (err) {
        logger.debug({ callId: m.callId, err: (err as Error).message }, 'media sample failed');
      }
    })).finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
