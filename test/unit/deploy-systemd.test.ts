/**
 * deploy/trunkwise.service and its environment file, checked against the code: the same drain as
 * in a container (SIGTERM to node, KillMode=mixed, a stop timeout longer than the drain), restarts,
 * secrets from an EnvironmentFile whose example holds only names the code reads and values the
 * settings loader accepts, hardening that still lets the service bind SIP port 5060, and
 * `systemd-analyze verify` / `security --offline` where systemd-analyze is installed.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DRAIN_LIMIT_MS } from '../../src/admin/drain';
import { loadSettings } from '../../src/app/settings';
import { REPO, envNamesReadBy, parseEnvFile, parseUnitFile, tsFiles } from '../helpers/deploy-files';

const UNIT_FILE = path.join(REPO, 'deploy', 'trunkwise.service');
const unitText = readFileSync(UNIT_FILE, 'utf8');
const unit = parseUnitFile(unitText);
const service = unit.sections.Service ?? {};
const one = (key: string): string | undefined => service[key]?.at(-1);
const list = (key: string): string[] => (service[key] ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
const mainSource = readFileSync(path.join(REPO, 'src', 'main.ts'), 'utf8');
/** The service runs trunkwise, not the drachtio-server drop-in CLI (src/engine/cli*.ts), whose DRACHTIO_* variables are its own. */
const SRC_READS = envNamesReadBy(tsFiles(path.join(REPO, 'src')).filter((f) => !/[\\/]engine[\\/]cli[^\\/]*\.ts$/.test(f)));
/** Carrier credential variables are named in carriers.yaml (`auth: { usernameEnv, passwordEnv }`), not in the code. */
const CREDENTIAL_NAMES = new Set([...readFileSync(path.join(REPO, 'carriers.yaml'), 'utf8').matchAll(/(?:usernameEnv|passwordEnv):\s*([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

/** `Environment=A=1 "B=x y"` → pairs. */
function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of service.Environment ?? []) {
    for (const m of v.matchAll(/"([^"=]+)=([^"]*)"|([^\s=]+)=(\S*)/g)) env[m[1] ?? m[3]!] = m[2] ?? m[4]!;
  }
  return env;
}

function seconds(s: string | undefined): number {
  if (!s) return 90; // systemd's DefaultTimeoutStopSec
  let total = 0;
  for (const m of s.matchAll(/(\d+)\s*(min|ms|s|m|h)?/g)) total += Number(m[1]) * ({ ms: 0.001, s: 1, min: 60, m: 60, h: 3600 }[m[2] ?? 's'] ?? 1);
  return total;
}

t.test('stops through the drain: SIGTERM to node, the rest after it; time enough for 30 s of calls', async (t) => {
  t.equal(one('KillMode'), 'mixed', 'KillMode=mixed');
  t.equal(one('KillSignal') ?? 'SIGTERM', 'SIGTERM', 'the stop signal is SIGTERM');
  t.match(mainSource, /process\.on\('SIGTERM'/, 'which src/main.ts drains on');
  t.ok(seconds(one('TimeoutStopSec')) * 1000 >= DRAIN_LIMIT_MS + 5000, `TimeoutStopSec=${one('TimeoutStopSec')} outlasts the ${DRAIN_LIMIT_MS} ms drain`);
  t.match(one('ExecReload') ?? '', /kill -HUP \$MAINPID/, 'reload = SIGHUP');
  t.match(mainSource, /process\.on\('SIGHUP'/, 'which src/main.ts reloads on');
  t.ok(['always', 'on-failure', 'on-abnormal'].includes(one('Restart') ?? 'no'), `Restart=${one('Restart')}`);
  t.ok(seconds(one('RestartSec') ?? '0.1') >= 1, 'with a pause between restarts');
  t.equal(unit.sections.Unit?.StartLimitIntervalSec?.at(-1), '0', 'and no start limit: it keeps trying (an external drachtio-server may come up late)');
  t.ok(Number(one('LimitNOFILE')) >= 16_384, `LimitNOFILE=${one('LimitNOFILE')}: four RTP sockets per relayed call`);
});

t.test('runs the packaged trunkwise bin with plain node', async (t) => {
  const exec = (one('ExecStart') ?? '').split(/\s+/);
  t.match(exec[0], /^\/.*\/node$/, `ExecStart starts node by absolute path (${exec[0]})`);
  const dir = one('WorkingDirectory') ?? '';
  t.equal(exec.at(-1), path.posix.join(dir, pkg.bin?.trunkwise ?? '?'), 'its script is bin.trunkwise inside WorkingDirectory (the file the build smoke test starts)');
  t.equal(unit.sections.Install?.WantedBy?.at(-1), 'multi-user.target', 'enabled for boot');
});

t.test('settings and secrets: an EnvironmentFile whose example names only what the code reads', async (t) => {
  const envFile = one('EnvironmentFile');
  t.ok(envFile && !envFile.startsWith('-'), `EnvironmentFile=${envFile} is required (a missing secrets file fails the start loudly)`);
  const example = path.join(REPO, 'deploy', `${path.basename(envFile ?? 'none')}.example`);
  t.ok(existsSync(example), `deploy/${path.basename(example)} documents it`);
  if (!existsSync(example)) return;
  const { set, commented } = parseEnvFile(readFileSync(example, 'utf8'));
  const unitEnv = unitEnvironment();
  for (const name of [...Object.keys(unitEnv), ...Object.keys(set), ...commented]) {
    t.ok(SRC_READS.has(name) || CREDENTIAL_NAMES.has(name) || name === 'NODE_ENV', `${name} is read by the code (or named by carriers.yaml)`);
  }
  t.same([...SRC_READS].filter((n) => /^(TRUNKWISE|DRACHTIO)_/.test(n) && !(n in set) && !commented.includes(n) && !(n in unitEnv)), [], 'and every setting the code reads is shown in the example');
  let settings: ReturnType<typeof loadSettings>['settings'] | undefined;
  t.doesNotThrow(() => void (settings = loadSettings([], { ...unitEnv, ...set }).settings), 'the settings loader accepts the example');
  t.equal(settings?.carriersFile, unitEnv.TRUNKWISE_CARRIERS, 'carriers.yaml from /etc/trunkwise');
  t.not(settings?.media.advertisedAddress, '0.0.0.0', 'the example never makes the relay write 0.0.0.0 into SDP');
  t.notMatch(unitText, /(SECRET|TOKEN|PASS)[A-Z_]*=\S/, 'no secret value in the unit file itself (it is world-readable)');
});

t.test('hardening that leaves SIP port binding working', async (t) => {
  const env = { ...unitEnvironment(), ...parseEnvFile(readFileSync(path.join(REPO, 'deploy', 'trunkwise.env.example'), 'utf8')).set };
  const { settings } = loadSettings([], env);
  t.not(one('User') ?? (one('DynamicUser') === 'yes' ? 'dynamic' : 'root'), 'root', 'not root (User= or DynamicUser=yes)');
  const low = [settings.sip.port, settings.http.port, settings.media.portRange.min].filter((p) => p < 1024);
  if (low.length) {
    t.ok(list('AmbientCapabilities').includes('CAP_NET_BIND_SERVICE'), `port ${low.join(', ')} < 1024: AmbientCapabilities=CAP_NET_BIND_SERVICE`);
    t.ok(list('CapabilityBoundingSet').includes('CAP_NET_BIND_SERVICE'), 'kept in the bounding set');
  } else {
    t.ok(service.CapabilityBoundingSet, `ports ${settings.sip.port}, ${settings.http.port}, ${settings.media.portRange.min}+ need no privilege: CapabilityBoundingSet is set`);
  }
  t.same(list('CapabilityBoundingSet').filter((c) => c !== 'CAP_NET_BIND_SERVICE'), [], 'no capability beyond binding low ports');
  for (const af of ['AF_INET', 'AF_INET6', 'AF_UNIX']) t.ok(list('RestrictAddressFamilies').includes(af), `${af} allowed`);
  t.not(one('PrivateNetwork'), 'yes', 'no PrivateNetwork (it would hide the SIP interfaces)');
  t.notOk(service.IPAddressDeny, 'no IPAddressDeny (carriers and IVRs are anywhere)');
  t.not(one('MemoryDenyWriteExecute'), 'yes', 'no MemoryDenyWriteExecute (V8 compiles to executable memory)');
  t.equal(one('NoNewPrivileges'), 'yes', 'NoNewPrivileges=yes');
  t.equal(one('ProtectSystem'), 'strict', 'ProtectSystem=strict (trunkwise writes nothing but its private /tmp)');
  t.equal(one('PrivateTmp'), 'yes', 'PrivateTmp=yes (an embedded rtpengine keeps its pidfile there)');
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.error ? 'systemd-analyze is not installed (Debian package systemd); the unit was checked by parsing only' : false;

t.test('systemd-analyze verify: no errors, no warnings', { skip: noAnalyze }, async (t) => {
  // verify insists the ExecStart binary exists; where node lives elsewhere (nvm), check a copy pointing at this node.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-unit-'));
  try {
    let file = UNIT_FILE;
    const node = (one('ExecStart') ?? '').split(/\s+/)[0]!;
    if (!existsSync(node)) {
      file = path.join(dir, 'trunkwise.service');
      writeFileSync(file, unitText.replace(node, process.execPath));
      t.comment(`${node} does not exist here: verifying with ExecStart=${process.execPath}`);
    }
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 0, 'systemd-analyze verify exits 0');
    t.equal(r.stderr.trim(), '', 'and says nothing');
    const sec = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=40', '--no-pager', file], { encoding: 'utf8', timeout: 30_000 });
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(sec.stdout)?.[1];
    t.equal(sec.status, 0, `systemd-analyze security --offline: exposure ${score} ≤ 4.0`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
