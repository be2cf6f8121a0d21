/**
 * Cross-check of a carrier's `mediaProbe:` against `health:`: on a carrier with no customer traffic
 * the probe call is the only media the mediaLoss signal sees, so one probe call must keep that signal
 * scored for long enough to move the state machine. The signal is scored while the window holds at
 * least mediaMinPackets expected packets: from mediaMinPackets × 20 ms into the call until
 * mediaMinPackets × 20 ms before the window lets go of the call's end, i.e. for
 *   durationMs + mediaWindowMs − 2 × mediaMinPackets × 20 ms,
 * and a score-based change needs degradeAfter evaluations in a row (plus one for the phase).
 * Shorter than that, a probe on a lossy carrier lowers the score for a moment and changes nothing.
 */
import type { CarrierConfig, ConfigError, HealthConfig } from './types';
import { formatPath } from './validate';
import type { YamlSource } from './yaml-source';

/** The probe offers a=ptime:20, and what the carrier sends back is measured at that rate. */
export const PROBE_PACKET_MS = 20;

/** How long one probe call keeps mediaLoss scored, and how long it needs to. */
export function probeScoredMs(durationMs: number, health: HealthConfig): { scored: number; needed: number } {
  const fill = health.mediaMinPackets * PROBE_PACKET_MS;
  return { scored: durationMs + health.mediaWindowMs - 2 * fill, needed: (health.degradeAfter + 1) * health.evaluateMs };
}

export function checkMediaProbeFit(src: YamlSource, carriers: readonly CarrierConfig[], health: HealthConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  carriers.forEach((c, i) => {
    if (!c.mediaProbe) return;
    const { scored, needed } = probeScoredMs(c.mediaProbe.durationMs, health);
    if (scored >= needed) return;
    const path = ['carriers', i, 'mediaProbe', 'durationMs'];
    const line = src.lineOf(path);
    const error: ConfigError = {
      file: src.file, path: formatPath(path),
      message: `mediaProbe on "${c.id}": one probe call keeps mediaLoss scored for ${scored} ms (durationMs ${c.mediaProbe.durationMs} + health.mediaWindowMs ${health.mediaWindowMs} − 2 × mediaMinPackets ${health.mediaMinPackets} × ${PROBE_PACKET_MS} ms), `
        + `less than the ${needed} ms that (degradeAfter ${health.degradeAfter} + 1) evaluations every ${health.evaluateMs} ms need: a lossy carrier with no traffic would never be taken out of service`,
      fix: `raise durationMs or health.mediaWindowMs by ${needed - scored} ms, or lower health.mediaMinPackets`,
    };
    errors.push(line === undefined ? error : { ...error, line });
  });
  return errors;
}
