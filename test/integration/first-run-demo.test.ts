/**
 * The demo as a new user meets it: `npm run demo` prints its admin token and a drain command that
 * works when pasted; `npm run status` prints one line per carrier; a SIGHUP reload is logged at info (the demo's level); logs are JSON lines when
 * stdout is not a terminal and human lines (pino-pretty, UTC times) when it is.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../helpers/sipp';

const ROOT = path.join(__dirname, '..', '..');
const IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A throw-away project: real scripts/src/routes/node_modules, a carriers.yaml on free ports. */
async function project(t: Test): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-first-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['scripts', 'src', 'routes', 'node_modules', 'tsconfig.json']) symlinkSync(path.join(ROOT, name), path.join(dir, name));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  const ports = await freePorts(5);
  let yaml = readFileSync(path.join(ROOT, 'carriers.yaml'), 'utf8');
  IDS.forEach((_, i) => (yaml = yaml.replaceAll(`127.0.0.1:${5071 + i}`, `127.0.0.1:${ports[i]}`)));
  writeFileSync(path.join(dir, 'carriers.yaml'), yaml);
  return dir;
}

function childWithScript(pid: number, needle: string): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) return Number(e);
      if (ppid === pid) {
        const deeper = childWithScript(Number(e), needle);
        if (deeper) return deeper;
      }
    } catch { /* gone */ }
  }
  return undefined;
}

t.test('npm run demo: the token is printed, its drain command works, a reload is logged at info', async (t) => {
  const dir = await project(t);
  const [sip, http, simHttp] = await freePorts(3);
  const env: NodeJS.ProcessEnv = { ...process.env, TRUNKWISE_SKIP_SETUP: '1', TRUNKWISE_SIP: `127.0.0.1:${sip}`, TRUNKWISE_HTTP: `127.0.0.1:${http}`, SIM_HTTP: `127.0.0.1:${simHttp}`, npm_config_update_notifier: 'false' };
  delete env.TRUNKWISE_ADMIN_TOKEN; // the demo's own token
  delete env.LOG_LEVEL; // the demo's own level
  const npm = spawn('npm', ['run', 'demo', '--silent'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  const out = { stdout: '', stderr: '' };
  npm.stdout!.on('data', (d: Buffer) => void (out.stdout += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => void (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => npm.on('exit', resolve));
  t.teardown(() => { try { process.kill(-npm.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const until = Date.now() + 45_000;
  while (!out.stderr.includes('trunkwise is ready') && Date.now() < until && npm.exitCode === null) await sleep(200);
  await sleep(300);
  t.match(out.stderr, /admin token demo-token/, 'the banner prints the demo\'s admin token');
  const line = out.stderr.split('\n').find((l) => l.includes('/drain'));
  const m = line ? /curl -X POST -H "Authorization: Bearer ([^"]+)" (http:\/\/\S+\/drain)/.exec(line) : null;
  t.ok(m, `a drain command: ${line}`);
  if (m) {
    const r = await fetch(m[2]!, { method: 'POST', headers: { Authorization: `Bearer ${m[1]}` } });
    t.equal(r.status, 200, 'the printed drain command works as pasted');
    const c = (await (await fetch(`http://127.0.0.1:${http}/carriers/carrier-d`)).json()) as { state: string };
    t.equal(c.state, 'drained', 'and drains the carrier');
  }
  // npm run status: one line per carrier.
  const status = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn('npm', ['run', 'status', '--silent', '--', '--http', `127.0.0.1:${http}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env });
    let o = '';
    p.stdout!.on('data', (d: Buffer) => void (o += d.toString()));
    p.on('exit', (code) => resolve({ code, out: o }));
  });
  t.equal(status.code, 0, 'npm run status exits 0');
  const lines = status.out.split('\n').filter((l) => /^carrier-[a-e]\s/.test(l));
  t.equal(lines.length, 5, `one line per carrier:\n${status.out}`);
  t.match(lines.find((l) => l.startsWith('carrier-d')) ?? '', /^carrier-d\s+DRAINED\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, 'state and since');
  t.match(status.out, /calls failed to the IVR/, 'and the calls failed back to the IVR');
  const tw = childWithScript(npm.pid!, 'src/main.ts');
  t.ok(tw, 'found the trunkwise process');
  process.kill(tw!, 'SIGHUP');
  const seen = Date.now() + 5000;
  while (!out.stdout.includes('configuration reloaded') && Date.now() < seen) await sleep(100);
  const reload = out.stdout.split('\n').find((l) => l.includes('configuration reloaded'));
  t.ok(reload, 'the reload is logged');
  t.equal((JSON.parse(reload ?? '{}') as { level?: number }).level, 30, 'at info, as a JSON line (stdout is not a terminal)');
  process.kill(npm.pid!, 'SIGTERM');
  t.equal(await exited, 0, 'stops with exit 0');
});

t.test('on a terminal the logs are human lines with UTC times, not JSON', async (t) => {
  const dir = await project(t);
  const [sip, http] = await freePorts(2);
  // util-linux `script` runs trunkwise on a pseudo-terminal, as a person's shell would.
  const cmd = `exec node --import tsx src/main.ts --carriers ${path.join(dir, 'carriers.yaml')} --sip 127.0.0.1:${sip} --http 127.0.0.1:${http}`;
  const p = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LOG_LEVEL: 'info' } });
  let text = '';
  p.stdout!.on('data', (d: Buffer) => void (text += d.toString()));
  const exited = new Promise((resolve) => p.on('exit', resolve));
  t.teardown(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const until = Date.now() + 30_000;
  // eslint-disable-next-line no-control-regex
  const plain = (): string => text.replace(/\x1b\[[0-9;]*m/g, '');
  while (!plain().includes('trunkwise ready') && Date.now() < until) await sleep(200);
  const ready = plain().split(/\r?\n/).find((l) => l.includes('trunkwise ready'));
  t.ok(ready, `a "trunkwise ready" line: ${ready ?? plain().slice(-1500)}`);
  t.match(ready ?? '', /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z\] INFO/, 'pino-pretty: [UTC time] INFO …');
  t.notOk((ready ?? '').trim().startsWith('{'), 'not JSON');
  const tw = childWithScript(p.pid!, 'src/main.ts') ?? p.pid!;
  try {
    process.kill(tw, 'SIGTERM');
  } catch { /* already gone: the output above says why */ }
  await exited;
});
