/**
 * This site as the IVR platform sees it: the OPTIONS answer (upstream health, judged fresh on every
 * OPTIONS from the live snapshot, then held per upstream.<case>.holdS against flapping) and the
 * operator's site drain (admin API, drills). A change of the answer is logged once (`event:
 * upstream`), with the cause, not on every OPTIONS.
 */
import type Srf from 'drachtio-srf';
import type { UpstreamConfig } from '../config/upstream';
import type { CarrierState } from '../routing';
import type { Logger } from '../observability/logger';
import { holdUpstream, judgeUpstream, upstreamHeaders, type UpstreamHold, type UpstreamVerdict } from './upstream-health';

export interface SiteDeps {
  logger: Logger;
  upstream(): UpstreamConfig;
  /** SIGTERM drain under way. */
  shuttingDown(): boolean;
  localFault(): boolean;
  carrierStates(now: number): readonly CarrierState[];
}

export interface SiteStatus {
  readonly drained: boolean;
  readonly drainedSince?: string;
  readonly drainedBy?: string;
  /** New calls go to the peer sites first (operator or drill); see src/routing/peers.ts. */
  readonly failover: boolean;
  readonly failoverSince?: string;
  readonly failoverBy?: string;
  readonly upstream: UpstreamVerdict;
}

export class Site {
  private drainedAt: number | undefined;
  private drainedBy: string | undefined;
  private last: UpstreamVerdict['cause'] | 'ok' = 'ok';
  private hold: UpstreamHold | undefined;
  private failoverAt: number | undefined;
  private failoverBy: string | undefined;

  constructor(private readonly deps: SiteDeps) {}

  /** The site drain: the IVR is told to go elsewhere (503); calls that still come are served. */
  drain(by: string, now: number): void {
    if (this.drainedAt === undefined) this.drainedAt = now;
    this.drainedBy = by;
    this.deps.logger.warn({ event: 'site-drain', by }, 'site drained: OPTIONS answered 503');
    this.verdict(now);
  }

  undrain(by: string, now: number): void {
    this.drainedAt = undefined;
    this.drainedBy = undefined;
    this.deps.logger.warn({ event: 'site-undrain', by }, 'site back in service');
    this.verdict(now);
  }

  /** Fail over to the peers: new calls are handed to a peer site first, local carriers after. */
  failOver(by: string, now: number): void {
    if (this.failoverAt === undefined) this.failoverAt = now;
    this.failoverBy = by;
    this.deps.logger.warn({ event: 'site-failover', by }, 'site failed over: new calls go to the peer sites first');
  }

  failBack(by: string): void {
    if (this.failoverAt === undefined) return;
    this.failoverAt = undefined;
    this.failoverBy = undefined;
    this.deps.logger.warn({ event: 'site-failback', by }, 'site failed back: new calls use the local carriers first');
  }

  get failingOver(): boolean {
    return this.failoverAt !== undefined;
  }

  get drained(): boolean {
    return this.drainedAt !== undefined;
  }

  verdict(now: number): UpstreamVerdict {
    const cfg = this.deps.upstream();
    const fresh = judgeUpstream(cfg, {
      draining: this.deps.shuttingDown() || this.drained,
      localFault: this.deps.localFault(),
      carrierStates: this.deps.carrierStates(now),
    });
    const { verdict: v, hold } = holdUpstream(cfg, fresh, this.hold, now);
    this.hold = hold;
    const cause = v.cause ?? 'ok';
    if (cause !== this.last) {
      const held = v.status === 503 && v.heldForMs !== undefined ? ` (cleared ${v.heldForMs} ms short of its hold)` : '';
      this.deps.logger.warn({ event: 'upstream', from: this.last, to: cause, status: v.status }, `upstream health: ${v.status === 200 ? 'available' : v.text}${held}`);
      this.last = cause;
    }
    return v;
  }

  status(now: number): SiteStatus {
    return {
      drained: this.drained,
      ...(this.drainedAt !== undefined && { drainedSince: new Date(this.drainedAt).toISOString() }),
      ...(this.drainedBy !== undefined && { drainedBy: this.drainedBy }),
      failover: this.failingOver,
      ...(this.failoverAt !== undefined && { failoverSince: new Date(this.failoverAt).toISOString() }),
      ...(this.failoverBy !== undefined && { failoverBy: this.failoverBy }),
      upstream: this.verdict(now),
    };
  }

  /** drachtio-srf OPTIONS middleware. */
  readonly onOptions = (_req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    const v = this.verdict(Date.now());
    res.send(v.status, { headers: upstreamHeaders(v) });
  };
}
