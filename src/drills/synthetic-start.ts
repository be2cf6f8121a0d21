/**
 * Synthetic media probes wired to a running edge: the srf port, the embedded relay, a small RTP
 * port range of their own (src/sim/ivr's RtpLeg, PCMU at 50 packets/s) and health. The process
 * that probes with OPTIONS (the site's leader) runs them; start/stop follow it and the drain.
 */
import type { CallSipPort } from '../call/sip-port';
import type { MediaAnchor } from '../call/media-port';
import type { CarrierConfig } from '../config/types';
import type { Logger } from '../observability/logger';
import { createSyntheticMetrics, type Metrics } from '../observability/metrics';
import { seededRandom } from '../sim/prng';
import { PortAllocator, type PortRange } from '../sim/rtp/ports';
import { RtpLeg } from '../sim/ivr/rtp-leg';
import { SyntheticProbes, type ProbeSink } from './synthetic-probes';

/** The probes' own RTP ports: away from the relay's (40000+), the IVR simulator's and the drills' test caller's. */
export const PROBE_RTP_PORTS: Readonly<PortRange> = Object.freeze({ min: 39_800, max: 39_899 });

export interface ProbeRunner {
  start(carriers: readonly CarrierConfig[]): void;
  sync(carriers: readonly CarrierConfig[]): void;
  stop(): Promise<void>;
  /** Probe calls under way. */
  active(): number;
}

export function syntheticProbeRunner(o: {
  sip: CallSipPort; relay: MediaAnchor; rtpAddress: string; metrics: Metrics; logger: Logger; sink: ProbeSink;
  operatorInService(carrier: string): boolean;
  credentials(carrier: string): { username: string; password: string } | undefined;
}): ProbeRunner {
  const metrics = createSyntheticMetrics(o.metrics.registry);
  const ports = new PortAllocator(o.rtpAddress, PROBE_RTP_PORTS);
  const random = seededRandom(Math.floor(Math.random() * 2 ** 31));
  let probes: SyntheticProbes | undefined;
  let stopping: Promise<void> = Promise.resolve();
  return {
    start: (carriers) => {
      if (probes) return;
      probes = new SyntheticProbes({
        metrics, logger: o.logger, sink: o.sink, operatorInService: o.operatorInService, credentials: o.credentials,
        call: {
          sip: o.sip, anchor: o.relay, rtpAddress: o.rtpAddress, openRtp: () => RtpLeg.open(ports, random, 0, o.logger),
          now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        },
      });
      probes.sync(carriers);
    },
    sync: (carriers) => probes?.sync(carriers),
    stop: () => {
      const p = probes;
      probes = undefined;
      if (p) stopping = Promise.all([stopping, p.stop()]).then(() => undefined);
      return stopping;
    },
    active: () => probes?.active ?? 0,
  };
}
