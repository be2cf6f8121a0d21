/**
 * trunkwise: wiring only. Settings → configuration → SIP engine (embedded, or an external
 * drachtio-server) → drachtio-srf app with the INVITE pipeline → admin API; SIGHUP reloads the
 * configuration, SIGTERM / SIGINT drain (src/admin/drain.ts: health frozen, new calls get 503, calls
 * up may finish for 30 s, then BYE on both legs) and stop.
 */
import Srf from 'drachtio-srf';
import pino from 'pino';
import pretty from 'pino-pretty';
import { HELP, loadSettings, wantsHelp } from './app/settings';
import { ConfigHolder } from './app/config-holder';
import { engineMode, startEngineIfEmbedded, type EmbeddedEngine } from './app/embedded-engine';
import { connectSrf } from './app/srf-connect';
import { SrfPort } from './app/srf-port';
import { sendError } from './app/reply';
import { sourceLabeller } from './app/source-label';
import { installTestHooks } from './app/test-hooks';
import { StallClock } from './call/stall-clock';
import { LAG_TOLERANCE_MS } from './call/attempt';
import { createInviteHandler } from './app/invite-handler';
import { buildSnapshot } from './app/snapshot';
import { Admission } from './admission/admission';
import { DigestAuth, parseCredentials } from './admission/digest';
import { CarrierRegistry } from './carriers/runtime';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { counterSync } from './observability/counter-sync';
import { startAdminServer } from './admin/server';
import { nextStepsBanner } from './admin/banner';
import { createDrain, hangupSrfDialogs, SetupTracker } from './admin/drain';
import { HistoryRecorder } from './history/recorder';
import { liveSource } from './history/source';
import { HealthMonitor } from './health/monitor';
import { Prober } from './health/prober';
import { MediaTracker } from './call/media-tracker';
import { InFlightAttempts } from './call/in-flight';
import { ResponseLatency } from './call/response-latency';
import { startMediaSampler } from './app/media-sampler';
import { MediaAnchors } from './app/media-anchors';
import { Site } from './sites/site';
import { siteRoutes } from './sites/admin-routes';
import { openStore } from './state';
import { SharedHealth } from './cluster/shared-health';
import { capAdmitter } from './cluster/caps';
import { createDrills } from './drills';
import { syntheticProbeRunner } from './drills/synthetic-start';
import { runSupervisor } from './workers/supervisor';
import { workerLink } from './workers/worker-link';

async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) return void process.stdout.write(`${HELP}\n`);
  const { settings, secrets } = loadSettings(process.argv.slice(2), process.env);
  // --workers N: this process runs the engine and N app processes (src/workers); each worker is this
  // file again, told its index, and exits if the supervisor goes away.
  const worker = workerLink(process.env, () => {
    root.error({ event: 'worker' }, 'supervisor gone: this worker stops');
    process.exit(1);
  });
  // A person at a terminal reads lines; anything else (journald, files, tests) gets JSON lines. The
  // supervisor and its workers share one stdout: each line is then one write (atomic on a pipe up to
  // 4 KiB), so two processes' lines never interleave — an async logger's batched writes can.
  const destination = process.stdout.isTTY
    ? pretty({ singleLine: true, translateTime: 'UTC:yyyy-mm-dd HH:MM:ss.l"Z"', ignore: 'pid,hostname,app' })
    : worker || settings.workers > 1 ? pino.destination({ sync: true }) : undefined;
  const root = createLogger({ level: settings.logLevel, ...(destination && { destination }) });
  const logger = worker ? root.child({ worker: worker.index }) : root;
  const config = ConfigHolder.load(settings, logger);
  if (settings.workers > 1) return runSupervisor({ settings, secrets, argv: process.argv.slice(2), config, logger: logger.child({ role: 'supervisor' }) });
  const metrics = createMetrics();
  const carriers = new CarrierRegistry();
  carriers.sync(config.config.carriers.map((c) => c.id));
  config.onChange((c) => carriers.sync(c.carriers.map((x) => x.id)));
  const stalls = new StallClock(LAG_TOLERANCE_MS);
  stalls.start();
  const health = new HealthMonitor(config.config, {
    logger: logger.child({ component: 'health' }), metrics, edgeStalledWithin: (from, to) => stalls.stalledWithin(from, to),
    // Peers (other sites' edges) are scored but not counted by the local-fault guard: it judges this site's carriers.
    operatorInService: (id) => config.config.carrierById[id]?.enabled === true && config.config.carrierById[id]?.peer !== true && (carriers.get(id)?.manual ?? 'in-service') === 'in-service',
  }, Date.now());
  config.onChange((c) => health.sync(c, Date.now()));
  health.start();
  // Shared state (src/state): caps, observations, the site's health snapshot, drains, events — in
  // this process, or in Redis shared by every edge and worker (--redis); src/cluster says how.
  const store = await openStore(settings.redis, { leaseMs: settings.capLeaseMs });
  let prober: Prober | undefined;
  const shared = new SharedHealth({
    store, site: settings.site, health, registry: carriers, carrierIds: () => config.config.carriers.map((c) => c.id), logger: logger.child({ component: 'state' }), metrics,
    startProber: (sink) => {
      prober = new Prober(sip, sink, logger.child({ component: 'prober' }));
      prober.sync(config.config);
      synthetic.start(config.config.carriers); // synthetic media probes go with the OPTIONS prober
    },
    stopProber: () => {
      prober?.stop();
      prober = undefined;
      void synthetic.stop();
    },
  });
  const mediaTracker = new MediaTracker();
  const anchors = new MediaAnchors(settings.media, logger.child({ component: 'media' }));
  const sampler = startMediaSampler(mediaTracker, shared, metrics, logger.child({ component: 'media' }));

  const started = await startEngineIfEmbedded(settings, secrets, config, logger);
  const engine: EmbeddedEngine | undefined = started.engine;
  const wire = started.wire;

  const srf = new Srf();
  let draining = false;
  const admission = new Admission({ allow: settings.allow, maxCps: settings.maxCps, maxCpsPerSource: settings.maxCpsPerSource });
  const auth = secrets.ivrAuth ? new DigestAuth(settings.authRealm, parseCredentials(secrets.ivrAuth)) : undefined;
  if (auth) logger.info({ realm: settings.authRealm }, 'IVR digest authentication on');
  const sip = new SrfPort(srf);
  const synthetic = syntheticProbeRunner({
    sip, relay: anchors.anchor('relay'), rtpAddress: settings.media.bindAddress, metrics, logger: logger.child({ component: 'synthetic' }),
    sink: { mediaSample: (id, stream, expected, lost, now) => shared.mediaSample(id, stream, expected, lost, now), mediaProbeResult: (id, r) => health.mediaProbeResult(id, r) },
    operatorInService: (id) => config.config.carrierById[id]?.enabled === true && (carriers.get(id)?.manual ?? 'in-service') === 'in-service',
    credentials: (id) => config.config.credentials.get(id),
  });
  config.onChange((c) => synthetic.sync(c.carriers));
  // A carrier health takes down: the attempts still waiting for its first response crank back now.
  const inFlight = new InFlightAttempts();
  health.onStateChange((id, t) => {
    if (t.to !== 'down') return;
    const n = inFlight.carrierDown(id);
    if (n > 0) logger.warn({ event: 'carrier-down-crankback', carrier: id, attempts: n }, `carrier ${id} down: ${n} unanswered attempts crank back now`);
  });
  // Upstream health: the IVR's OPTIONS get 200 with capabilities, or 503 + Reason while this site
  // should not take calls. Peers (other sites' edges) do not count as this site's carriers.
  const site = new Site({
    logger, upstream: () => config.config.upstream, shuttingDown: () => draining, localFault: () => health.localFaultSuspected(),
    carrierStates: (now) => buildSnapshot(config.config, carriers, shared, now).filter((c) => config.config.carrierById[c.id]?.peer !== true).map((c) => c.state),
  });
  const onInvite = createInviteHandler({
    sip, logger, metrics, admission, auth, sourceLabel: sourceLabeller(settings.allow), stalledWithin: (from, to) => stalls.stalledWithin(from, to), carriers, config: () => config.config,
    snapshot: (c, now) => buildSnapshot(c, carriers, shared, now),
    admit: capAdmitter(store, () => config.config, metrics, logger.child({ component: 'caps' })),
    // Once draining, attempt outcomes are not health verdicts: an attempt cut by our own shutdown
    // must not take a carrier down on the way out (src/admin/drain.ts freezes the rest).
    trackAttempt: (id, now) => {
      const track = shared.trackAttempt(id, now);
      return { responded: (at) => track.responded(at), rang: (ms) => track.rang(ms), finished: (v, at) => (draining ? undefined : track.finished(v, at)) };
    },
    anchor: (mode) => anchors.anchor(mode), mediaTracker, inFlight, latency: new ResponseLatency(),
    peers: { site: settings.site, localFault: () => health.localFaultSuspected(), failover: () => site.failingOver },
  });
  const inSetup = new SetupTracker(); // calls still being set up count for the drain too
  srf.invite((req, res) => {
    if (draining) return sendError(res, 'E_DRAINING');
    inSetup.add(res);
    onInvite(req, res);
  });
  srf.use('options', site.onOptions);
  // Embedded: srf talks to the engine over an in-process link (same wire protocol, no loopback TCP).
  const hostports = await connectSrf(srf, engine ? { ...wire, local: engine.connectLocal() } : wire);
  logger.info({ hostports, engine: settings.engine }, 'SIP engine connected');
  config.onChange((c) => prober?.sync(c));
  await shared.start(); // the site's leader (or every process, while Redis is unreachable) probes

  const activeCalls = (): number => carriers.all().reduce((n, c) => n + c.activeCalls, 0);
  const syncShed = counterSync(metrics.engineShed);
  setInterval(() => {
    metrics.cps.set(admission.cps(Date.now()));
    engine?.gauges().then((st) => {
      metrics.engineDialogs.set(st.dialogs);
      metrics.engineFloodFilter.set(st.kernelFilterSockets);
      syncShed(Object.entries(st.shedBy).flatMap(([transport, by]) => Object.entries(by).map(([reason, n]): [{ transport: string; reason: string }, number] => [{ transport, reason }, n])));
    }, () => undefined); // the engine is stopping
  }, 1000).unref();

  const drillKit = createDrills({
    metrics, carriers, logger: logger.child({ component: 'drills' }), states: () => buildSnapshot(config.config, carriers, shared, Date.now()), sip: settings.sip,
    site, isPeer: (id) => config.config.carrierById[id]?.peer === true,
    // With --workers, worker 0 alone runs the schedule: one drill at a time across the host.
    ...((!worker || worker.index === 0) && { schedule: { entries: () => config.config.drills, draining: () => draining, localFault: () => health.localFaultSuspected() } }),
  });
  const live = liveSource({ config: () => config.config, carriers, health, metrics });
  const history = new HistoryRecorder(live, { logger: logger.child({ component: 'history' }) });
  history.start();
  const admin = await startAdminServer({
    logger, metrics, carriers, config, carrierHealth: health, history, live, token: secrets.adminToken, events: (carrier) => shared.events(carrier),
    operatorEvents: { share: (e) => shared.shareEvent({ ...e }), read: () => shared.sharedEvents('operator') },
    ...(worker && { afterReload: () => worker.reloaded() }), extensions: [siteRoutes(site), drillKit.routes,
      async ({ method, url }) => (method === 'GET' && url.pathname === '/sites' ? { status: 200, body: { sites: await shared.siteViews() } } : undefined)],
    health: async () => ({
      cps: admission.cps(Date.now()), engine: engine ? await engine.stats() : 'external', media: { ...anchors.relay.stats(), tracked: mediaTracker.size }, activeCalls: activeCalls(), draining, syntheticProbes: synthetic.active(),
      uptimeS: Math.round(process.uptime()), state: shared.describe(),
    }),
  }, settings.http.host, settings.http.port);
  logger.info({ sip: settings.sip, http: settings.http, engine: engineMode(settings), carriers: config.config.carriers.length, routes: config.config.routes.length }, worker ? 'worker ready' : 'trunkwise ready');
  worker?.ready();
  if (!worker || worker.index === 0) process.stderr.write(nextStepsBanner({
    sip: settings.sip, http: settings.http, carriers: config.config.carriers.length, carriersFile: settings.carriersFile, simControl: process.env.TRUNKWISE_SIM_CONTROL,
    adminTokenSet: secrets.adminToken !== undefined, demoToken: process.env.TRUNKWISE_DEMO === '1' ? secrets.adminToken : undefined,
  }));

  process.on('SIGHUP', () => void config.reload());
  installTestHooks(process.env, (msg) => logger.warn(msg));
  const drain = createDrain({
    logger, say: (line) => void process.stderr.write(`${line}\n`), activeCalls: () => activeCalls() + inSetup.count(),
    freezeHealth: () => {
      shared.stop();
      drillKit.schedule?.stop();
      sampler.stop();
      health.stop();
    },
    hangupAll: () => hangupSrfDialogs(srf),
    close: async () => {
      await synthetic.stop();
      history.stop();
      admin.close();
      srf.disconnect();
      await anchors.stop().catch(() => undefined);
      if (engine) await engine.stop();
      await store.close();
    },
  });
  const stop = (signal: string): void => {
    draining = true;
    drain.signal(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  void drain.done.then(() => process.exit(0));
}

main().catch((err: Error) => {
  process.stderr.write(`trunkwise: ${err.message}\n`);
  process.exit(1);
});
