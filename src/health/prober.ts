/**
 * OPTIONS prober: per carrier with probing enabled, every intervalMs a round of `burst` OPTIONS sent
 * back to back, each judged against its own short timeout (not the 32 s transaction timeout): alive
 * (an aliveCodes answer, with its RTT), not alive (another code, e.g. the engine's 503 for a refused
 * TCP connection), or lost. A round is good when at least one probe came back alive. Rounds start
 * at a random offset per carrier so five carriers do not probe in lockstep.
 */
import type { CarrierConfig } from '../config/types';
import type { Logger } from '../observability/logger';
import type { HealthMonitor } from './monitor';
import type { ProbeResult } from './types';
import { STALL_TOLERANCE_MS } from './blame';

/** After a late timeout, how long answers queued behind the stall get to be read. */
const STALL_GRACE_MS = 250;

/** A probe that left trunkwise; its final answer (or the engine's own 408/503) arrives as 'response'. */
export interface SentProbe {
  on(event: 'response', cb: (res: { status: number }) => void): void;
}

/** How probes are sent: src/app/srf-port.ts over drachtio-srf's request(). */
export interface ProbeTransport {
  request(uri: string, opts: { method: string; headers: Record<string, string> }, cb: (err: Error | null, req?: SentProbe) => void): void;
}

/** What the prober reads of a carrier's configuration. */
export type ProbedCarrier = Pick<CarrierConfig, 'id' | 'enabled' | 'probe' | 'target'>;

/** Where probe results go: the health monitor, or the shared-state layer that also reports them to the site. */
export type ProbeSink = Pick<HealthMonitor, 'probe' | 'probeRound'>;

export class Prober {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  constructor(private readonly sip: ProbeTransport, private readonly health: ProbeSink, private readonly logger: Logger) {}

  /** (Re)start probing for the carriers in `config`; a reload calls this again. */
  sync(config: { readonly carriers: readonly ProbedCarrier[] }): void {
    this.clear();
    for (const c of config.carriers) {
      if (!c.enabled || !c.probe.enabled) continue;
      const first = setTimeout(() => this.loop(c), Math.floor(Math.random() * Math.min(c.probe.intervalMs, 1000)));
      first.unref();
      this.timers.set(c.id, first);
    }
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private loop(c: ProbedCarrier): void {
    if (this.stopped) return;
    void this.round(c);
    const t = setTimeout(() => this.loop(c), c.probe.intervalMs);
    t.unref();
    this.timers.set(c.id, t);
  }

  private async round(c: ProbedCarrier): Promise<void> {
    const probes: Promise<ProbeResult>[] = [];
    for (let i = 0; i < c.probe.burst; i++) probes.push(this.one(c));
    const results = await Promise.all(probes);
    if (this.stopped) return;
    for (const r of results) this.health.probe(c.id, r);
    this.health.probeRound(c.id, results.some((r) => r.kind === 'alive'), Date.now());
  }

  private one(c: ProbedCarrier): Promise<ProbeResult> {
    const sentAt = Date.now();
    const uri = `sip:${c.target.host.includes(':') ? `[${c.target.host}]` : c.target.host}:${c.target.port};transport=${c.target.transport}`;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: ProbeResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(r);
      };
      const due = sentAt + c.probe.timeoutMs;
      // A timeout that fired late means our own event loop was stalled: the answer may be waiting in
      // the socket behind it (timers run before I/O), so it is read before the probe is called lost.
      let timer = setTimeout(() => {
        if (Date.now() - due > STALL_TOLERANCE_MS) timer = setTimeout(() => finish({ kind: 'lost', at: Date.now() }), STALL_GRACE_MS);
        else finish({ kind: 'lost', at: Date.now() });
      }, c.probe.timeoutMs);
      try {
        this.sip.request(uri, { method: 'OPTIONS', headers: { 'Max-Forwards': '70', 'X-Trunkwise-Probe': c.id } }, (err, req) => {
          if (err || !req) {
            this.logger.debug({ carrier: c.id, err: err?.message }, 'probe could not be sent');
            return finish({ kind: 'lost', at: Date.now() });
          }
          req.on('response', (res) => {
            const at = Date.now();
            if (res.status < 200) return;
            const rttMs = at - sentAt;
            finish(c.probe.aliveCodes.includes(res.status) ? { kind: 'alive', at, rttMs } : { kind: 'not-alive', at, rttMs, status: res.status });
          });
        });
      } catch (err) {
        this.logger.warn({ carrier: c.id, err: (err as Error).message }, 'probe failed');
        finish({ kind: 'lost', at: Date.now() });
      }
    });
  }
}
