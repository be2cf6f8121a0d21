/**
 * Drills wired to a running edge: its counters (prom-client), its carriers' operator states, and a
 * test caller (src/sim/ivr: an IVR with real RTP) calling this edge's own SIP address.
 */
import type { CarrierRegistry } from '../carriers/runtime';
import type { Logger } from '../observability/logger';
import { createDrillMetrics, createDrillScheduleMetrics, type Metrics } from '../observability/metrics';
import type { ScheduledDrillConfig } from '../config/drills';
import { DrillSchedule } from './schedule';
import { drillRoutes } from './admin-routes';
import { Drills } from './registry';
import type { AdminExtension } from '../admin/server';
import { startIvr } from '../sim/ivr';
import type { OpenTestCaller, SiteControl } from './registry';
import type { Site } from '../sites/site';

/** A drill's test call: answered, held this long, hung up. */
const TEST_HOLD_MS = 1000;
/** RTP ports of the test caller: a small range of its own, away from the relay's and carriers'. */
const TEST_RTP_PORTS = { min: 39_900, max: 39_999 };

/** Calls to this edge's SIP address (a wildcard listener is called on loopback). */
export function testCaller(sip: { host: string; port: number }): OpenTestCaller {
  const host = sip.host === '0.0.0.0' || sip.host === '::' ? '127.0.0.1' : sip.host;
  return async (to) => {
    const ivr = await startIvr({ target: `${host.includes(':') ? `[${host}]` : host}:${sip.port}`, localAddress: host, rtpPorts: TEST_RTP_PORTS });
    return {
      place: async () => {
        const r = await ivr.call({ to, holdMs: TEST_HOLD_MS });
        return { ok: r.status >= 200 && r.status < 300 && r.endedBy === 'ivr-bye' && r.byeStatus === 200, setupMs: r.setupMs, status: r.status };
      },
      close: () => ivr.stop(),
    };
  };
}

export function createDrills(deps: {
  metrics: Metrics; carriers: CarrierRegistry; logger: Logger;
  /** Carrier states now (the routing snapshot). */
  states(): ReadonlyArray<{ id: string; state: string }>;
  /** This edge's SIP listener, for the drills' test calls. */
  sip?: { host: string; port: number };
  /** Scheduled drills (carriers.yaml drills:) and when they must be skipped. */
  schedule?: { entries(): readonly ScheduledDrillConfig[]; draining(): boolean; localFault(): boolean };
  /** The site (drain, failover, its OPTIONS answer) and which carrier ids are peers, for the site drills. */
  site?: Site;
  isPeer?(id: string): boolean;
}): { drills: Drills; routes: AdminExtension; schedule?: DrillSchedule } {
  const { metrics, carriers } = deps;
  const isPeer = deps.isPeer ?? ((): boolean => false);
  const site: SiteControl | undefined = deps.site && siteControl(deps.site, isPeer, deps.states, metrics);
  const drills = new Drills({
    metrics: createDrillMetrics(metrics.registry), logger: deps.logger,
    counters: async () => {
      const attempts: Record<string, number> = {};
      for (const c of carriers.all()) attempts[c.id] = 0;
      for (const v of (await metrics.carrierAttempts.get()).values) if (v.labels.carrier !== undefined) attempts[String(v.labels.carrier)] = v.value;
      const failed = (await metrics.callsCompleted.get()).values.filter((v) => v.labels.outcome === 'failed').reduce((n, v) => n + v.value, 0);
      return { attempts, failed };
    },
    manual: (id) => carriers.get(id)?.manual,
    usableOthers: (id) => deps.states().filter((c) => c.id !== id && !isPeer(c.id) && (c.state === 'active' || c.state === 'degraded')).length,
    setManual: (id, state) => void carriers.setManual(id, state),
    ...(deps.sip && { openTestCaller: testCaller(deps.sip) }),
    ...(site && { site }),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  const s = deps.schedule;
  const schedule = s && new DrillSchedule({
    entries: s.entries, draining: s.draining, localFault: s.localFault, metrics: createDrillScheduleMetrics(metrics.registry), logger: deps.logger,
    running: () => drills.running()?.id,
    start: (d) => {
      const r = d.kind === 'drain-carrier' ? drills.startDrain(d.carrier, d.windowMs, d.testCalls, d.name) : drills.startSite(d.kind, d.windowMs, d.testCalls, d.name);
      return r.ok ? { ok: true, id: r.drill.id } : { ok: false, error: r.error };
    },
  }, Date.now());
  schedule?.start();
  return { drills, routes: drillRoutes(drills, schedule), ...(schedule && { schedule }) };
}

const usable = (state: string): boolean => state === 'active' || state === 'degraded';

function siteControl(site: Site, isPeer: (id: string) => boolean, states: () => ReadonlyArray<{ id: string; state: string }>, metrics: Metrics): SiteControl {
  return {
    drain: (by, now) => site.drain(by, now),
    undrain: (by, now) => site.undrain(by, now),
    failOver: (by, now) => site.failOver(by, now),
    failBack: (by) => site.failBack(by),
    get drained() {
      return site.drained;
    },
    get failingOver() {
      return site.failingOver;
    },
    upstreamStatus: (now) => site.verdict(now).status,
    peers: () => states().filter((c) => isPeer(c.id)).map((c) => c.id),
    usablePeers: () => states().filter((c) => isPeer(c.id) && usable(c.state)).length,
    callsIn: async () => (await metrics.callsIn.get()).values.reduce((n, v) => n + v.value, 0),
  };
}
