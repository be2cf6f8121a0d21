/**
 * Every Prometheus metric trunkwise exports, declared in one place (STYLE.md 9): call code receives
 * this typed object and never invents metric names of its own.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  callsIn: Counter<'source'>;
  callsAdmitted: Counter<never>;
  callsRejected: Counter<'reason'>;
  callsCompleted: Counter<'outcome'>;
  cps: Gauge<never>;
  carrierAttempts: Counter<'carrier'>;
  carrierOutcomes: Counter<'carrier' | 'class'>;
  carrierActiveCalls: Gauge<'carrier'>;
  carrierSetupSeconds: Histogram<'carrier'>;
  carrierScore: Gauge<'carrier'>;
  carrierState: Gauge<'carrier' | 'state'>;
  carrierRamp: Gauge<'carrier'>;
  signalValue: Gauge<'carrier' | 'signal'>;
  stateChanges: Counter<'carrier' | 'to'>;
  probes: Counter<'carrier' | 'result'>;
  probeRttSeconds: Histogram<'carrier'>;
  localFault: Gauge<never>;
  localFaultsRaised: Counter<never>;
  crankbacks: Counter<'from_carrier' | 'reason'>;
  mediaFallbacks: Counter<'mode'>;
  mediaSessions: Gauge<never>;
  engineDialogs: Gauge<never>;
  engineShed: Counter<'transport' | 'reason'>;
  engineFloodFilter: Gauge;
  stateReachable: Gauge<'backend'>;
  stateLeader: Gauge<'site'>;
  carrierCapRefusals: Counter<'carrier' | 'reason'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trunkwise_process_' });
  const r = [registry];
  return {
    registry,
    callsIn: new Counter({ name: 'trunkwise_calls_in_total', help: 'INVITEs received, by the allowlist entry the source matched or "foreign" (never the address itself)', labelNames: ['source'], registers: r }),
    callsAdmitted: new Counter({ name: 'trunkwise_calls_admitted_total', help: 'Calls that passed admission', registers: r }),
    callsRejected: new Counter({ name: 'trunkwise_calls_rejected_total', help: 'Calls refused at admission', labelNames: ['reason'], registers: r }),
    callsCompleted: new Counter({ name: 'trunkwise_calls_completed_total', help: 'Calls by final outcome', labelNames: ['outcome'], registers: r }),
    cps: new Gauge({ name: 'trunkwise_cps', help: 'New calls per second over the last second', registers: r }),
    carrierAttempts: new Counter({ name: 'trunkwise_carrier_attempts_total', help: 'Outbound attempts per carrier', labelNames: ['carrier'], registers: r }),
    carrierOutcomes: new Counter({ name: 'trunkwise_carrier_outcomes_total', help: 'Attempt outcomes per carrier by status class (2xx, 4xx, 5xx, 6xx, timeout, transport)', labelNames: ['carrier', 'class'], registers: r }),
    carrierActiveCalls: new Gauge({ name: 'trunkwise_carrier_active_calls', help: 'Calls up on each carrier', labelNames: ['carrier'], registers: r }),
    carrierSetupSeconds: new Histogram({
      name: 'trunkwise_carrier_setup_seconds', help: 'INVITE to 200 OK per carrier', labelNames: ['carrier'], registers: r,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30],
    }),
    carrierScore: new Gauge({ name: 'trunkwise_carrier_score', help: 'Health score 0..1 per carrier', labelNames: ['carrier'], registers: r }),
    carrierState: new Gauge({ name: 'trunkwise_carrier_state', help: '1 for the state each carrier is in', labelNames: ['carrier', 'state'], registers: r }),
    carrierRamp: new Gauge({ name: 'trunkwise_carrier_ramp', help: 'Share of its normal traffic a recovering carrier gets (1 = full)', labelNames: ['carrier'], registers: r }),
    signalValue: new Gauge({
      name: 'trunkwise_carrier_signal', help: 'Health signal values per carrier: probeLoss, probeLate, callFailure (ratios 0..1), rtt, pdd (ms)',
      labelNames: ['carrier', 'signal'], registers: r,
    }),
    stateChanges: new Counter({ name: 'trunkwise_carrier_state_changes_total', help: 'Health state changes per carrier by new state', labelNames: ['carrier', 'to'], registers: r }),
    probes: new Counter({ name: 'trunkwise_carrier_probes_total', help: 'OPTIONS probes by result (alive, late, not-alive, lost)', labelNames: ['carrier', 'result'], registers: r }),
    probeRttSeconds: new Histogram({
      name: 'trunkwise_carrier_probe_rtt_seconds', help: 'OPTIONS probe round-trip time', labelNames: ['carrier'], registers: r,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4],
    }),
    localFault: new Gauge({ name: 'trunkwise_local_fault', help: '1 while most carriers are degraded at once: this edge (uplink, datacenter) is suspect', registers: r }),
    localFaultsRaised: new Counter({ name: 'trunkwise_local_faults_total', help: 'Times the local-fault alarm was raised', registers: r }),
    crankbacks: new Counter({ name: 'trunkwise_crankbacks_total', help: 'Failovers to the next carrier within a call', labelNames: ['from_carrier', 'reason'], registers: r }),
    mediaFallbacks: new Counter({ name: 'trunkwise_media_fallbacks_total', help: 'Calls that fell back to direct media because anchoring failed', labelNames: ['mode'], registers: r }),
    mediaSessions: new Gauge({ name: 'trunkwise_media_sessions', help: 'Calls up with anchored media (relay or rtpengine)', registers: r }),
    engineDialogs: new Gauge({ name: 'trunkwise_engine_dialogs', help: 'Dialogs held by the embedded SIP engine', registers: r }),
    engineShed: new Counter({ name: 'trunkwise_engine_shed_total', help: 'New calls (INVITEs) the embedded engine refused (503 + Retry-After, or dropped beyond the 503 budget) while its main thread was behind, by transport and reason (lag, backlog, retransmission)', labelNames: ['transport', 'reason'], registers: r }),
    engineFloodFilter: new Gauge({ name: 'trunkwise_engine_flood_filter_sockets', help: 'UDP sockets on which the kernel now drops requests from sources outside the allowlist: a foreign flood is under way (past 1,000 foreign requests/s)', registers: r }),
    stateReachable: new Gauge({ name: 'trunkwise_state_store_reachable', help: '1 while the shared state store answers (0 = Redis unreachable: local state and local caps)', labelNames: ['backend'], registers: r }),
    stateLeader: new Gauge({ name: 'trunkwise_state_leader', help: '1 while this process leads its site (runs the prober, publishes the health snapshot)', labelNames: ['site'], registers: r }),
    carrierCapRefusals: new Counter({ name: 'trunkwise_carrier_cap_refusals_total', help: 'Attempts not placed because a carrier was at maxConcurrent or maxCps (across every edge)', labelNames: ['carrier', 'reason'], registers: r }),
  };
}

/** Drills (src/drills): declared here with every other metric, registered by the drill runner. */
export interface DrillMetrics {
  runs: Counter<'scenario' | 'result'>;
  running: Gauge<never>;
  callsFailed: Gauge<'scenario'>;
  moveSeconds: Gauge<'scenario'>;
  restoreSeconds: Gauge<'scenario'>;
}

export function createDrillMetrics(r: Registry): DrillMetrics {
  return {
    runs: new Counter({ name: 'trunkwise_drill_runs_total', help: 'Drills run, by scenario and result (passed, failed, aborted)', labelNames: ['scenario', 'result'], registers: [r] }),
    running: new Gauge({ name: 'trunkwise_drill_running', help: '1 while a drill is under way', registers: [r] }),
    callsFailed: new Gauge({ name: 'trunkwise_drill_calls_failed', help: 'Calls failed during the last drill of each scenario', labelNames: ['scenario'], registers: [r] }),
    moveSeconds: new Gauge({ name: 'trunkwise_drill_move_seconds', help: 'Last drill: time until the drained target took no new attempts', labelNames: ['scenario'], registers: [r] }),
    restoreSeconds: new Gauge({ name: 'trunkwise_drill_restore_seconds', help: 'Last drill: time from restore until the target took attempts again', labelNames: ['scenario'], registers: [r] }),
  };
}

/** Synthetic media probes (src/drills/synthetic-probes.ts): declared here, registered when probes start. */
export interface SyntheticMetrics {
  probes: Counter<'carrier' | 'result'>;
  running: Gauge<'carrier'>;
  loss: Gauge<'carrier'>;
  jitterSeconds: Gauge<'carrier'>;
  setupSeconds: Histogram<'carrier'>;
}

export function createSyntheticMetrics(r: Registry): SyntheticMetrics {
  return {
    probes: new Counter({ name: 'trunkwise_synthetic_probes_total', help: 'Synthetic media probe calls by carrier and result (answered, failed: the carrier\'s fault, rejected: the test number refused, local: trunkwise\'s own failure, skipped)', labelNames: ['carrier', 'result'], registers: [r] }),
    running: new Gauge({ name: 'trunkwise_synthetic_probes_running', help: 'Synthetic probe calls under way per carrier', labelNames: ['carrier'], registers: [r] }),
    loss: new Gauge({ name: 'trunkwise_synthetic_probe_loss_ratio', help: 'RTP loss from the carrier on its last answered probe call, 0..1', labelNames: ['carrier'], registers: [r] }),
    jitterSeconds: new Gauge({ name: 'trunkwise_synthetic_probe_jitter_seconds', help: 'RFC 3550 interarrival jitter of the carrier\'s RTP on its last answered probe call', labelNames: ['carrier'], registers: [r] }),
    setupSeconds: new Histogram({ name: 'trunkwise_synthetic_probe_setup_seconds', help: 'Probe call INVITE to answer', labelNames: ['carrier'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [r] }),
  };
}

/** Scheduled drills (src/drills/schedule.ts). */
export interface DrillScheduleMetrics {
  runs: Counter<'name' | 'result'>;
  nextRun: Gauge<'name'>;
}

export function createDrillScheduleMetrics(r: Registry): DrillScheduleMetrics {
  return {
    runs: new Counter({ name: 'trunkwise_drill_schedule_runs_total', help: 'Scheduled drills that came due, by name and result (started, skipped)', labelNames: ['name', 'result'], registers: [r] }),
    nextRun: new Gauge({ name: 'trunkwise_drill_schedule_next_run_timestamp_seconds', help: 'When each scheduled drill is next due (Unix seconds)', labelNames: ['name'], registers: [r] }),
  };
}
