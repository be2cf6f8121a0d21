/**
 * docker/Dockerfile, docker-compose.yml, prometheus.yml and drachtio.conf.xml checked against the code,
 * without a Docker engine: every environment variable is one the code reads (found in the sources, not
 * listed here) and the real settings loader accepts the values; ports agree across the files and do
 * not collide; every path exists; secrets are required variables, never literals; the image runs as
 * non-root, with a HEALTHCHECK and an exec-form CMD so SIGTERM reaches node's drain. The build smoke
 * test (test/integration/build-smoke.test.ts) then runs the image's CMD and HEALTHCHECK for real.
 */
import t from 'tap';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DRAIN_LIMIT_MS } from '../../src/admin/drain';
import { loadSettings, type Settings, type Secrets } from '../../src/app/settings';
import { parseContact, parseDrachtioConfig } from '../../src/engine/drachtio-config';
import {
  REPO, composeVariables, envNamesReadBy, interpolate, parseDockerfile, parseEnvInstruction, tsFiles, type DockerInstruction,
} from '../helpers/deploy-files';

const DOCKER = path.join(REPO, 'docker');
const read = (f: string): string => readFileSync(path.join(DOCKER, f), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  init?: boolean;
  stop_grace_period?: string;
  ulimits?: { nofile?: number | { soft: number; hard: number } };
}
const compose = YAML.parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
/** Named volumes (declared under the top-level `volumes:`) live in Docker's store, not on the host. */
const NAMED_VOLUMES = new Set(Object.keys(compose.volumes ?? {}));
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no "${name}" service`);
  return s;
};

/** What the operator must provide (compose's `${X:?…}`), with test values. */
const OPERATOR_ENV: Record<string, string> = { DRACHTIO_SECRET: 'drachtio-test-secret', TRUNKWISE_ADMIN_TOKEN: 'admin-test-token', TRUNKWISE_MEDIA_ADDRESS: '192.0.2.10' };
const resolved = (env: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, interpolate(String(v), OPERATOR_ENV)]));

const SRC_READS = envNamesReadBy(tsFiles(path.join(REPO, 'src')));
const ENGINE_READS = envNamesReadBy(tsFiles(path.join(REPO, 'src', 'engine')));
/** Read by Node and npm themselves, not by trunkwise. */
const RUNTIME_READS = new Set(['NODE_ENV', 'NODE_OPTIONS']);

/** src/main.ts's drain limit: how long a SIGTERM may take before trunkwise exits on its own. */

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin?: Record<string, string>; engines?: { node?: string } };

function argAfter(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/** Compose durations: 40s, 1m30s, 500ms. */
function durationMs(s: string | undefined): number {
  if (!s) return 10_000; // Docker's default stop grace period
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return ms;
}

t.test('Dockerfile: non-root, HEALTHCHECK on /health, SIGTERM straight to node, CMD = the trunkwise bin', async (t) => {
  const stages = parseDockerfile(read('Dockerfile'));
  const final = stages.at(-1)!;
  const ins = (k: string): DockerInstruction[] => final.instructions.filter((i) => i.keyword === k);

  const users = ins('USER');
  const user = users.at(-1)?.raw;
  t.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
  const cmd = ins('CMD').at(-1);
  t.ok(cmd && users.length && users.at(-1)!.line < cmd.line, 'USER comes before CMD');

  t.ok(cmd?.exec, 'CMD is exec form (JSON): no /bin/sh -c between Docker and node');
  t.equal(cmd?.exec?.[0], 'node', 'CMD starts node itself (not npm, not a shell script)');
  t.same(ins('ENTRYPOINT'), [], 'no ENTRYPOINT wraps it');
  t.equal(cmd?.exec?.at(-1), pkg.bin?.trunkwise, 'CMD runs package.json bin.trunkwise (the file the build smoke test starts)');
  t.equal(ins('STOPSIGNAL').at(-1)?.raw, 'SIGTERM', 'STOPSIGNAL SIGTERM: the signal trunkwise drains on');

  const hc = ins('HEALTHCHECK').at(-1);
  t.ok(hc?.exec, 'HEALTHCHECK CMD is exec form');
  t.equal(hc?.exec?.[0], 'node', 'HEALTHCHECK needs nothing but node (no curl in the slim image)');
  t.equal(hc?.exec?.at(-1), pkg.bin?.['trunkwise-healthcheck'], 'HEALTHCHECK runs bin.trunkwise-healthcheck');
  const hcSource = readFileSync(path.join(REPO, 'src', 'bin', 'trunkwise-healthcheck.ts'), 'utf8');
  t.match(hcSource, /\/health\b/, 'which asks /health');
  t.match(readFileSync(path.join(REPO, 'src', 'admin', 'server.ts'), 'utf8'), /pathname === '\/health'/, 'and the admin API serves /health');
  const timeout = /--timeout=(\d+)s/.exec(hc?.raw ?? '')?.[1];
  t.ok(timeout && Number(timeout) * 1000 > 3000, `HEALTHCHECK --timeout (${timeout}s) leaves the check's own 3 s request limit room`);

  const env: Record<string, string> = Object.assign({}, ...ins('ENV').map((i) => parseEnvInstruction(i.raw)));
  for (const name of Object.keys(env)) t.ok(SRC_READS.has(name) || RUNTIME_READS.has(name), `ENV ${name} is read by the code`);
  let image: { settings: Settings } | undefined;
  t.doesNotThrow(() => void (image = loadSettings([], env)), 'the image ENV passes the settings loader');
  const exposed = ins('EXPOSE').flatMap((i) => i.raw.split(/\s+/));
  if (image) {
    for (const p of [`${image.settings.sip.port}/udp`, `${image.settings.sip.port}/tcp`, `${image.settings.http.port}/tcp`]) t.ok(exposed.includes(p), `EXPOSE ${p} (the image's own SIP and HTTP ports)`);
    t.not(image.settings.http.host, '127.0.0.1', 'inside the image the admin API binds beyond loopback (published ports, HEALTHCHECK on loopback still works)');
  }

  const nodeMajor = Number(/^node:(\d+)/.exec(final.image)?.[1]);
  const wanted = Number(/>=\s*(\d+)/.exec(pkg.engines?.node ?? '')?.[1]);
  t.ok(nodeMajor >= wanted, `base image node ${nodeMajor} satisfies engines.node ${pkg.engines?.node}`);
  t.equal(stages[0]!.image, final.image, 'build and run stages use the same Node image');
});

t.test('Dockerfile: every file it copies from the build context exists', async (t) => {
  const build = svc('trunkwise').build!;
  const context = path.resolve(DOCKER, build.context);
  t.ok(existsSync(path.join(context, build.dockerfile)), `compose builds ${build.dockerfile} from context ${build.context}`);
  for (const stage of parseDockerfile(read('Dockerfile'))) {
    for (const i of stage.instructions.filter((x) => (x.keyword === 'COPY' || x.keyword === 'ADD') && !/--from=/.test(x.raw))) {
      const parts = i.exec ?? i.raw.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) t.ok(existsSync(path.join(context, src)), `line ${i.line}: COPY ${src} exists in the context`);
    }
  }
  const build0 = parseDockerfile(read('Dockerfile'))[0]!;
  t.ok(build0.instructions.some((i) => i.keyword === 'RUN' && /npm (pack|run build)/.test(i.raw)), 'the build stage runs the project build (npm pack → prepack → npm run build)');
});

t.test('compose: trunkwise\'s environment is read by the code and accepted by the settings loader', async (t) => {
  const raw = svc('trunkwise').environment ?? {};
  for (const name of Object.keys(raw)) t.ok(SRC_READS.has(name), `${name} is read by the code`);
  for (const name of ['DRACHTIO_SECRET', 'TRUNKWISE_ADMIN_TOKEN']) {
    t.throws(() => interpolate(String(raw[name]), { ...OPERATOR_ENV, [name]: '' }), /required variable/, `compose refuses to start without ${name}`);
  }
  const env = resolved(raw);
  let loaded: { settings: Settings; secrets: Secrets } | undefined;
  t.doesNotThrow(() => void (loaded = loadSettings([], env)), 'the settings loader accepts compose\'s values');
  if (!loaded) return;
  const { settings, secrets } = loaded;
  t.equal(settings.engine, 'external', 'trunkwise uses the drachtio-server service, not its embedded engine');
  t.equal(secrets.drachtioSecret, OPERATOR_ENV.DRACHTIO_SECRET, 'the drachtio secret comes from the operator');
  t.equal(secrets.adminToken, OPERATOR_ENV.TRUNKWISE_ADMIN_TOKEN, 'so does the admin token');
  const secretValues = new Set(Object.values(secrets).filter((v): v is string => typeof v === 'string'));
  for (const [name, value] of Object.entries(raw)) {
    if (secretValues.has(env[name]!)) t.match(String(value), /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name} is a required \${…:?} variable, never a literal`);
  }
  t.ok(svc('trunkwise').init, 'init: true — tini forwards SIGTERM to node and reaps');
  t.ok(durationMs(svc('trunkwise').stop_grace_period) >= DRAIN_LIMIT_MS + 5000, `stop_grace_period ${svc('trunkwise').stop_grace_period} outlasts the ${DRAIN_LIMIT_MS} ms drain`);
  const nofile = svc('trunkwise').ulimits?.nofile;
  const soft = typeof nofile === 'number' ? nofile : nofile?.soft ?? 1024;
  t.ok(soft >= 16_384, `nofile ${soft}: four RTP sockets per relayed call need more than the default 1024`);
});

t.test('compose: ports agree across drachtio.conf.xml, rtpengine, prometheus.yml and trunkwise, and none collide', async (t) => {
  const { settings } = loadSettings([], resolved(svc('trunkwise').environment));
  const conf = parseDrachtioConfig(read('drachtio.conf.xml'));
  t.same(conf.ignored, [], 'drachtio.conf.xml uses only settings trunkwise-engine honours (the file serves both)');
  t.equal(conf.options.wire.port, settings.drachtio.port, `drachtio admin port ${conf.options.wire.port} = DRACHTIO_PORT`);
  t.equal(conf.options.wire.host, settings.drachtio.host, `drachtio admin address ${conf.options.wire.host} = DRACHTIO_HOST`);

  const drachtio = svc('drachtio');
  const confPath = argAfter(drachtio.command ?? [], '-f');
  t.ok(drachtio.volumes?.some((v) => v.split(':')[1] === confPath && existsSync(path.resolve(DOCKER, v.split(':')[0]!))), `drachtio -f ${confPath} is mounted from an existing file`);
  t.same(composeVariables(String(drachtio.environment?.DRACHTIO_SECRET ?? '')), composeVariables(String(svc('trunkwise').environment?.DRACHTIO_SECRET ?? '')),
    'drachtio-server and trunkwise take the admin secret from the same variable');
  t.match(String(drachtio.environment?.DRACHTIO_SECRET ?? ''), /^\$\{DRACHTIO_SECRET:\?/, 'drachtio gets DRACHTIO_SECRET, overriding the file\'s placeholder');
  for (const name of Object.keys(drachtio.environment ?? {})) {
    t.ok(ENGINE_READS.has(name), `${name} (drachtio service) is read by trunkwise-engine too, so the engine can stand in for drachtio-server`);
  }

  const rtpe = (svc('rtpengine').command ?? []).map((a) => interpolate(a, OPERATOR_ENV));
  const ng = argAfter(rtpe, '--listen-ng');
  t.same(settings.media.rtpengine, ng ? { host: ng.split(':')[0], port: Number(ng.split(':')[1]) } : 'missing', `TRUNKWISE_RTPENGINE = rtpengine --listen-ng ${ng}`);
  const rtpeRange = { min: Number(argAfter(rtpe, '--port-min')), max: Number(argAfter(rtpe, '--port-max')) };
  const relay = settings.media.portRange;
  t.ok(rtpeRange.max < relay.min || rtpeRange.min > relay.max, `rtpengine ${rtpeRange.min}-${rtpeRange.max} and the relay ${relay.min}-${relay.max} share no port (one host network)`);

  const prom = YAML.parse(read('prometheus.yml')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  const job = prom.scrape_configs.find((j) => j.job_name === 'trunkwise');
  t.same(job?.static_configs.flatMap((s) => s.targets), [`${settings.http.host}:${settings.http.port}`], 'Prometheus scrapes trunkwise where TRUNKWISE_HTTP listens');
  const promCmd = svc('prometheus').command ?? [];
  const promConf = argAfter(promCmd, '--config.file') ?? '/etc/prometheus/prometheus.yml';
  t.ok(svc('prometheus').volumes?.some((v) => v.split(':')[1] === promConf && existsSync(path.resolve(DOCKER, v.split(':')[0]!))), `prometheus.yml is mounted at ${promConf}`);

  // One host network: every listening port once.
  const listening: [string, number][] = [
    ...conf.options.sip.map((s): [string, number] => [`drachtio SIP ${s.protocol}`, s.port]),
    ['drachtio admin', conf.options.wire.port], ['trunkwise HTTP', settings.http.port], ['rtpengine ng', Number(ng?.split(':')[1])],
    ['prometheus', Number((argAfter(promCmd, '--web.listen-address') ?? ':9090').split(':').at(-1))],
  ];
  const tcpUdp = new Map<number, string[]>();
  for (const [what, port] of listening) tcpUdp.set(port, [...(tcpUdp.get(port) ?? []), what]);
  for (const [port, users] of tcpUdp) {
    const distinct = new Set(users.map((u) => u.replace(/ (udp|tcp)$/, '')));
    t.equal(distinct.size, 1, `port ${port}: ${users.join(', ')}`);
    for (const r of [relay, rtpeRange]) t.ok(port < r.min || port > r.max, `port ${port} (${users[0]}) is outside RTP range ${r.min}-${r.max}`);
  }
  for (const c of conf.options.sip) t.same(parseContact(`sip:${c.address}:${c.port};transport=${c.protocol}`)[0], c, 'contacts parse as drachtio writes them');
});

t.test('compose: every mounted path exists and is the path trunkwise is told to read', async (t) => {
  for (const [name, s] of Object.entries(compose.services)) {
    for (const v of s.volumes ?? []) {
      const [host] = interpolate(v, OPERATOR_ENV).split(':');
      if (NAMED_VOLUMES.has(host!)) t.ok(!host!.includes('/'), `${name}: ${host} is a named volume declared at the top level`);
      else t.ok(existsSync(path.resolve(DOCKER, host!)), `${name}: ${host} exists`);
    }
  }
  const { settings } = loadSettings([], resolved(svc('trunkwise').environment));
  const mounts = new Map((svc('trunkwise').volumes ?? []).map((v) => {
    const [host, target] = interpolate(v, OPERATOR_ENV).split(':');
    return [target!, path.resolve(DOCKER, host!)];
  }));
  const carriers = mounts.get(settings.carriersFile);
  t.ok(carriers && statSync(carriers).isFile(), `TRUNKWISE_CARRIERS ${settings.carriersFile} is a mounted file`);
  const routes = mounts.get(settings.routesDir);
  t.ok(routes && statSync(routes).isDirectory(), `TRUNKWISE_ROUTES ${settings.routesDir} is a mounted directory`);
});
