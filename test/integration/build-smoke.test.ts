/**
 * The compiled build, not the sources: a copy of the repository is built with `npm run build` and
 * packed with `npm pack`; the tarball is unpacked the way an operator (or the Dockerfile) gets it and
 * everything below runs from there with plain `node` — trunkwise started with the Dockerfile's own
 * CMD and HEALTHCHECK, carriers from the packaged simulator, one SIPp call, the dashboard and
 * /metrics, a SIGTERM drain to exit 0 with no process left in its group; then `trunkwise-engine
 * -f drachtio.conf.xml` with the secret from DRACHTIO_SECRET.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Srf from 'drachtio-srf';
import YAML from 'yaml';
import { freePorts, runSipp, killAll } from '../helpers/sipp';
import { REPO, parseDockerfile, processGroupMembers, type DockerStage } from '../helpers/deploy-files';
import { connectSrf } from '../../src/app/srf-connect';

const pkgJson = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
const BINS: Record<string, string> = typeof pkgJson.bin === 'string' ? { trunkwise: pkgJson.bin } : pkgJson.bin ?? {};
const finalStage = (): DockerStage => parseDockerfile(readFileSync(path.join(REPO, 'docker', 'Dockerfile'), 'utf8')).at(-1)!;

/** Children get no NODE_V8_COVERAGE: their files live in a temporary folder that is gone before the coverage report reads it. */
const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_V8_COVERAGE;
  return env;
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-build-'));
const stage = path.join(tmp, 'stage');
const unpacked = path.join(tmp, 'pkg');
const root = path.join(unpacked, 'package');
const running = new Set<ChildProcess>();
let packFiles: string[] = [];

function cleanUp(): void {
  killAll();
  for (const c of running) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
t.teardown(cleanUp);
// Also when t.before throws (a failed build), where tap never reaches the teardown.
process.on('exit', cleanUp);

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): { status: number | null; stdout: string; out: string } {
  const r = spawnSync(cmd, args, { cwd, env: childEnv({}), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

t.before(() => {
  // The working tree as a checkout would have it (no node_modules, no earlier build), dependencies linked in.
  const skip = new Set(['node_modules', '.git', 'dist', '.tap', 'coverage']);
  cpSync(REPO, stage, { recursive: true, filter: (src) => !skip.has(path.basename(src)) || path.dirname(src) !== REPO });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(stage, 'node_modules'));
  const build = run('npm', ['run', 'build'], stage, 180_000);
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status}):\n${build.out}`);
  const pack = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage, 60_000);
  if (pack.status !== 0) throw new Error(`npm pack failed (${pack.status}):\n${pack.out}`);
  const info = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packFiles = info[0]!.files.map((f) => f.path);
  mkdirSync(unpacked);
  const tar = run('tar', ['-xzf', path.join(tmp, info[0]!.filename), '-C', unpacked], tmp, 30_000);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.out}`);
  // What `npm ci --omit=dev` provides in the image / on the host.
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
});

t.test('npm run build: every bin target exists, is executable and starts with a node shebang', async (t) => {
  for (const name of ['trunkwise', 'trunkwise-engine', 'trunkwise-sim']) t.ok(BINS[name], `package.json bin names ${name}`);
  for (const [name, target] of Object.entries(BINS)) {
    const file = path.join(stage, target);
    t.ok(existsSync(file), `bin ${name} → ${target} exists after the build`);
    if (!existsSync(file)) continue;
    t.equal(readFileSync(file, 'utf8').split('\n')[0], '#!/usr/bin/env node', `${target}: node shebang`);
    t.ok((statSync(file).mode & 0o111) !== 0, `${target}: executable`);
  }
  const help = run('node', [path.join(stage, BINS.trunkwise ?? 'dist/src/main.js'), '--help'], stage, 20_000);
  t.match(help.out, /usage:/, 'trunkwise --help prints its usage');
  t.notMatch(help.out, /ENOENT/, 'and finds every file it needs');
});

t.test('the package holds every bin target and asset, and no test, bench or fuzz files', async (t) => {
  for (const [name, target] of Object.entries(BINS)) t.ok(packFiles.includes(path.normalize(target)), `bin ${name}: ${target} is packed`);
  const assetsDir = path.join(REPO, 'src', 'admin', 'dashboard');
  const distDir = path.dirname(path.normalize(BINS.trunkwise ?? 'dist/x')).split(path.sep)[0]!;
  for (const f of readdirSync(assetsDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(assetsDir, path.join(e.parentPath ?? e.path, e.name)))) t.ok(packFiles.some((p) => p.startsWith(`${distDir}/`) && p.endsWith(`admin/dashboard/${f}`)), `dashboard asset ${f} is packed`);
  const stray = packFiles.filter((p) => /(^|\/)(test|tests|bench|fuzz|scripts|\.ci)\//.test(p) || /\.(test|bench|fuzz)\.[jt]s$/.test(p) || p.startsWith('src/'));
  t.same(stray, [], 'no tests, benchmarks, fuzz targets, scripts or TypeScript sources');
  t.ok(packFiles.includes('package.json') && packFiles.includes('carriers.yaml') && packFiles.some((p) => p.startsWith('routes/')), 'package.json and the example configuration');
  for (const f of ['deploy/trunkwise.service', 'deploy/trunkwise.env.example', 'docker/drachtio.conf.xml']) t.ok(packFiles.includes(f), `${f} is packed`);

  // Production installs only `dependencies` (npm ci --omit=dev): the compiled code may need nothing else.
  const deps = new Set(Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {}));
  const needed = new Set<string>();
  for (const f of packFiles.filter((p) => p.endsWith('.js'))) {
    for (const m of readFileSync(path.join(root, f), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
      const id = m[1]!;
      if (id.startsWith('.') || id.startsWith('node:') || builtinModules.includes(id)) continue;
      needed.add(id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]!);
    }
  }
  t.same([...needed].filter((d) => !deps.has(d)), [], `the build requires only production dependencies (${[...needed].sort().join(', ')})`);
});

interface Proc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A child in its own process group (so what it leaves behind can be found), pino lines read back as JSON. */
function start(argv: string[], cwd: string, env: Record<string, string>): Proc {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ text: line });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-8000)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, lines, stderr: () => err, exit };
}

async function waitLog(p: Proc, msg: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!p.lines.some((l) => l.msg === msg)) {
    if (p.child.exitCode !== null || Date.now() > until) throw new Error(`no "${msg}" (exit ${p.child.exitCode}): ${p.stderr()}\n${JSON.stringify(p.lines.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM; resolves with how it ended and what is still alive in its process group 1 s later. */
async function stop(p: Proc, limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; left: string[]; ms: number }> {
  const started = Date.now();
  p.child.kill('SIGTERM');
  // The limit is cleared once the process has exited: left pending, it kept this test process alive
  // up to limitMs after its last test.
  let limit: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.exit, new Promise<undefined>((res) => (limit = setTimeout(() => res(undefined), limitMs)))]);
  clearTimeout(limit);
  const ms = Date.now() - started;
  await new Promise((res) => setTimeout(res, 1000));
  const left = processGroupMembers(p.child.pid!).map((x) => `${x.pid} ${x.comm}`);
  if (!r) process.kill(-p.child.pid!, 'SIGKILL');
  running.delete(p.child);
  return { code: r?.code ?? null, signal: r?.signal ?? null, left, ms };
}

function runArgv(argv: string[], cwd: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { cwd, env: childEnv(env), stdio: 'ignore' });
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

t.test('trunkwise from the package, started as the image starts it: a call, the dashboard, metrics, health; SIGTERM drains to exit 0', async (t) => {
  const stageDocker = finalStage();
  const cmd = stageDocker.instructions.filter((i) => i.keyword === 'CMD').at(-1)?.exec;
  const healthcheck = stageDocker.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.exec;
  t.ok(cmd, 'the image has an exec-form CMD');
  t.ok(healthcheck, 'the image has an exec-form HEALTHCHECK');
  if (!cmd || !healthcheck) return;

  // The packaged example configuration, its carriers moved to free ports where the packaged simulator listens.
  const ids = (YAML.parse(readFileSync(path.join(root, 'carriers.yaml'), 'utf8')) as { carriers: { id: string }[] }).carriers.map((c) => c.id);
  const ports = await freePorts(ids.length + 4);
  const [sipPort, httpPort, simHttp, uacPort] = ports.splice(0, 4) as [number, number, number, number];
  const conf = YAML.parseDocument(readFileSync(path.join(root, 'carriers.yaml'), 'utf8'));
  ids.forEach((_id, i) => conf.setIn(['carriers', i, 'uri'], `sip:127.0.0.1:${ports[i]};transport=udp`));
  const confDir = path.join(tmp, 'etc');
  mkdirSync(confDir, { recursive: true });
  const carriersFile = path.join(confDir, 'carriers.yaml');
  writeFileSync(carriersFile, conf.toString());

  const sim = start(['node', path.join(root, BINS['trunkwise-sim']!), '--carriers', carriersFile, '--http', `127.0.0.1:${simHttp}`, '--transport', 'udp'], root, {});
  let tw: Proc | undefined;
  try {
    await waitLog(sim, 'simulator ready', 20_000);
    tw = start(cmd, root, {
      TRUNKWISE_CARRIERS: carriersFile, TRUNKWISE_SIP: `127.0.0.1:${sipPort}`, TRUNKWISE_HTTP: `127.0.0.1:${httpPort}`,
      TRUNKWISE_ADMIN_TOKEN: 'smoke-token', TRUNKWISE_RTPENGINE: 'off',
    });
    await waitLog(tw, 'trunkwise ready', 30_000);

    const call = await runSipp({ scenario: path.join(REPO, 'test', 'scenarios', 'uac-basic-call.xml'), remote: `127.0.0.1:${sipPort}`, localPort: uacPort, service: '15550001', calls: 1, duration: 200, timeoutMs: 20_000 });
    t.equal(call.successful, 1, 'one SIPp call answered through the built trunkwise');
    const cdr = tw.lines.find((l) => l.msg === 'cdr')?.cdr as { outcome?: string; attempts?: { carrier: string }[] } | undefined;
    t.equal(cdr?.outcome, 'answered', 'its CDR says answered');
    t.ok(cdr?.attempts?.length && ids.includes(cdr.attempts[0]!.carrier), `placed on a packaged carrier (${cdr?.attempts?.[0]?.carrier})`);

    const page = await fetch(`http://127.0.0.1:${httpPort}/dashboard/`);
    const html = await page.text();
    t.equal(page.status, 200, '/dashboard/ served');
    t.match(html, /<html/i, '/dashboard/ is the page');
    for (const asset of [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!)) {
      const r = await fetch(new URL(asset, `http://127.0.0.1:${httpPort}/dashboard/`));
      t.equal(r.status, 200, `the page's ${asset} is served`);
    }
    const metricsPath = scrapePath();
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}${metricsPath}`)).text();
    t.match(metrics, /^trunkwise_calls_completed_total\{[^}]*outcome="answered"[^}]*\} 1$/m, `${metricsPath} (prometheus.yml's scrape path) counts the call`);
    t.equal(await runArgv(healthcheck, root, { TRUNKWISE_HTTP: `127.0.0.1:${httpPort}` }), 0, 'the image HEALTHCHECK passes against it');
    t.equal(await runArgv(healthcheck, root, { TRUNKWISE_HTTP: `0.0.0.0:${httpPort}` }), 0, 'also when TRUNKWISE_HTTP is a wildcard bind (the image default): checked on loopback');
    t.not(await runArgv(healthcheck, root, { TRUNKWISE_HTTP: `127.0.0.1:${uacPort}` }), 0, 'and fails where nothing answers /health');

    const end = await stop(tw, 10_000);
    t.equal(end.code, 0, `SIGTERM: drained and exited 0 in ${end.ms} ms (signal ${end.signal}; stderr: ${tw.stderr().slice(-300)})`);
    t.same(end.left, [], 'no process left in its group');
    t.ok(tw.lines.some((l) => l.msg === 'draining: new calls get 503'), 'through the drain');
    t.not(await runArgv(healthcheck, root, { TRUNKWISE_HTTP: `127.0.0.1:${httpPort}` }), 0, 'the HEALTHCHECK fails once it is gone');
    tw = undefined;
  } finally {
    if (tw) await stop(tw, 5000);
    const s = await stop(sim, 10_000);
    t.equal(s.code, 0, 'the packaged simulator stops on SIGTERM with 0');
    t.same(s.left, [], 'leaving nothing behind');
  }
});

/** srf.connect → its host:ports, or "refused: …"; never leaves a connection open (a connected srf keeps the test alive). */
async function tryConnect(port: number, secret: string): Promise<string> {
  const srf = new Srf();
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('refused: no answer in 5 s'), 5000).unref());
  const r = await Promise.race([connectSrf(srf, { host: '127.0.0.1', port, secret }).catch((e: Error) => `refused: ${e.message}`), timeout]);
  try {
    srf.disconnect();
  } catch {
    /* never connected */
  }
  return r;
}

/** The metrics path Prometheus scrapes trunkwise on (docker/prometheus.yml; /metrics when unset). */
function scrapePath(): string {
  const p = YAML.parse(readFileSync(path.join(REPO, 'docker', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path?: string }[] };
  return p.scrape_configs.find((j) => j.job_name === 'trunkwise')?.metrics_path ?? '/metrics';
}

t.test('trunkwise-engine from the package with docker/drachtio.conf.xml: admin port answers with the secret from DRACHTIO_SECRET', async (t) => {
  const conf = path.join(root, 'docker', 'drachtio.conf.xml');
  t.ok(existsSync(conf), 'docker/drachtio.conf.xml is packaged');
  const confFile = existsSync(conf) ? conf : path.join(REPO, 'docker', 'drachtio.conf.xml');
  const [adminPort, sipPort] = (await freePorts(2)) as [number, number];
  const secret = `smoke-${process.pid}-${Date.now()}`;
  // Ports moved off the file's 9022/5060 (fixed ports are taken on a shared machine); the rest is the file's.
  const engine = start(['node', path.join(root, BINS['trunkwise-engine']!), '-f', confFile, '--port', String(adminPort), '--contact', `sip:127.0.0.1:${sipPort};transport=udp,tcp`],
    root, { DRACHTIO_SECRET: secret });
  try {
    await waitLog(engine, 'trunkwise engine started', 20_000);
    t.ok(await new Promise<boolean>((resolve) => {
      const c = net.connect(adminPort, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      c.on('connect', () => c.destroy());
    }), 'its admin port answers');
    t.equal(await tryConnect(adminPort, secret), `udp/127.0.0.1:${sipPort},tcp/127.0.0.1:${sipPort}`, 'an srf app authenticates with DRACHTIO_SECRET');
    const placeholder = /secret="([^"]*)"/.exec(readFileSync(confFile, 'utf8'))?.[1] ?? '';
    t.match(await tryConnect(adminPort, placeholder), /^refused/, `the file's placeholder secret "${placeholder}" is refused`);
  } finally {
    const end = await stop(engine, 10_000);
    t.equal(end.code, 0, `SIGTERM: exit 0 in ${end.ms} ms`);
    t.same(end.left, [], 'no process left in its group');
  }
});
