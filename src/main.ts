/**
 * trunkwise: wiring only. Settings → configuration → SIP engine (embedded, or an external
 * drachtio-server) → drachtio-srf app with the INVITE pipeline → admin API; SIGHUP reloads the
 * configuration, SIGTERM drains (new calls get 503) and stops once calls are down or after 30 s.
 */
import Srf from 'drachtio-srf';
import { SipEngine } from './engine';
import { loadSettings } from './app/settings';
import { ConfigHolder } from './app/config-holder';
import { connectSrf } from './app/srf-connect';
import { createInviteHandler } from './app/invite-handler';
import { buildSnapshot } from './app/snapshot';
import { Admission } from './admission/admission';
import { DigestAuth, parseCredentials } from './admission/digest';
import { CarrierRegistry } from './carriers/runtime';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { startAdminServer } from './admin/server';
import { HealthMonitor } from './health/monitor';
import { Prober } from './health/prober';
import { MediaTracker } from './call/media-tracker';
import { startMediaSampler } from './app/media-sampler';
import { MediaAnchors } from './app/media-anchors';

const DRAIN_LIMIT_MS = 30_000;

async function main(): Promise<void> {
  const { settings, secrets } = loadSettings(process.argv.slice(2), process.env);
  const logger = createLogger({ level: settings.logLevel });
  const config = ConfigHolder.load(settings, logger);
  const metrics = createMetrics();
  const carriers = new CarrierRegistry();
  carriers.sync(config.config.carriers.map((c) => c.id));
  config.onChange((c) => carriers.sync(c.carriers.map((x) => x.id)));
  const health = new HealthMonitor(config.config, {
    logger: logger.child({ component: 'health' }), metrics,
    operatorInService: (id) => config.config.carrierById[id]?.enabled === true && (carriers.get(id)?.manual ?? 'in-service') === 'in-service',
  }, Date.now());
  config.onChange((c) => health.sync(c, Date.now()));
  health.start();
  const mediaTracker = new MediaTracker();
  const anchors = new MediaAnchors(settings.media, logger.child({ component: 'media' }));
  const sampler = startMediaSampler(mediaTracker, health, metrics, logger.child({ component: 'media' }));

  let engine: SipEngine | undefined;
  let wire = { host: settings.drachtio.host, port: settings.drachtio.port, secret: secrets.drachtioSecret };
  if (settings.engine === 'embedded') {
    // Admission before cost: only the IVR's CIDRs and the carriers' addresses may send requests;
    // the engine refuses everyone else before a transaction exists. Refreshed on every reload.
    const admitted = (c: typeof config.config): string[] => [...settings.allow, ...c.carriers.map((x) => x.target.host)];
    const e = new SipEngine({
      sip: [{ protocol: 'udp', address: settings.sip.host, port: settings.sip.port }, { protocol: 'tcp', address: settings.sip.host, port: settings.sip.port }],
      wire: { host: '127.0.0.1', port: 0, secret: secrets.drachtioSecret },
      logger: logger.child({ layer: 'engine' }),
      behaviour: { userAgentOptionsAutoRespond: undefined },
      admission: { allow: admitted(config.config), foreign: settings.foreign },
    });
    config.onChange((c) => {
      try {
        e.setAllowlist(admitted(c));
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'engine allowlist not updated; the previous one stays in force');
      }
    });
    engine = e;
    const a = await engine.start();
    wire = { host: '127.0.0.1', port: a.wire.port, secret: secrets.drachtioSecret };
  }

  const srf = new Srf();
  let draining = false;
  const admission = new Admission({ allow: settings.allow, maxCps: settings.maxCps, maxCpsPerSource: settings.maxCpsPerSource });
  const auth = secrets.ivrAuth ? new DigestAuth(settings.authRealm, parseCredentials(secrets.ivrAuth)) : undefined;
  if (auth) logger.info({ realm: settings.authRealm }, 'IVR digest authentication on');
  const onInvite = createInviteHandler({
    srf, logger, metrics, admission, auth, carriers, config: () => config.config,
    snapshot: (c, now) => buildSnapshot(c, carriers, health, now),
    trackAttempt: (id, now) => health.attemptStarted(id, now),
    anchor: (mode) => anchors.anchor(mode), mediaTracker,
  });
  srf.invite((req, res) => {
    if (draining) return void res.send(503, { headers: { 'Retry-After': '5' } });
    onInvite(req, res);
  });
  srf.use('options', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => res.send(200));
  const hostports = await connectSrf(srf, wire);
  logger.info({ hostports, engine: settings.engine }, 'SIP engine connected');
  const prober = new Prober(srf, health, logger.child({ component: 'prober' }));
  prober.sync(config.config);
  config.onChange((c) => prober.sync(c));

  const activeCalls = (): number => carriers.all().reduce((n, c) => n + c.activeCalls, 0);
  setInterval(() => {
    metrics.cps.set(admission.cps(Date.now()));
    if (engine) metrics.engineDialogs.set(engine.stats().dialogs);
  }, 1000).unref();

  const admin = await startAdminServer({
    logger, metrics, carriers, config, carrierHealth: health, token: secrets.adminToken,
    health: () => ({
      cps: admission.cps(Date.now()), engine: engine?.stats() ?? 'external', media: { ...anchors.relay.stats(), tracked: mediaTracker.size }, activeCalls: activeCalls(), draining,
      uptimeS: Math.round(process.uptime()),
    }),
  }, settings.http.host, settings.http.port);
  logger.info({ sip: settings.sip, http: settings.http, carriers: config.config.carriers.length, routes: config.config.routes.length }, 'trunkwise ready');

  process.on('SIGHUP', () => void config.reload());
  const stop = (): void => {
    if (draining) return;
    draining = true;
    logger.warn({ activeCalls: activeCalls() }, 'draining: new calls get 503');
    const started = Date.now();
    const check = setInterval(() => {
      if (activeCalls() > 0 && Date.now() - started < DRAIN_LIMIT_MS) return;
      clearInterval(check);
      prober.stop();
      sampler.stop();
      health.stop();
      admin.close();
      srf.disconnect();
      void anchors.stop().catch(() => undefined)
        .then(() => (engine ? engine.stop() : undefined))
        .then(() => process.exit(0));
    }, 200);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`trunkwise: ${err.message}\n`);
  process.exit(1);
});
