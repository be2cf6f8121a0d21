/**
 * First run: help is help. `npm start -- --help` and `npm run bench -- -h` print their options
 * before any set-up and exit 0; the benchmark refuses arguments it does not know instead of starting
 * a 7-minute run. A stand-in `bash` on PATH records (and refuses) any call of scripts/setup.sh, so
 * these tests can tell "printed help" from "started setting up" without installing anything.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

interface Run { code: number | null; stdout: string; stderr: string; setupCalled: boolean; ms: number }

function guardedEnv(t: Test): { env: NodeJS.ProcessEnv; marker: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-help-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'setup-called');
  writeFileSync(path.join(dir, 'bash'), `#!/bin/sh\ncase "$1" in *setup.sh) echo "$@" >> ${JSON.stringify(marker)}; echo "[stand-in] set-up refused in this test" >&2; exit 1;; esac\nexec /bin/bash "$@"\n`);
  chmodSync(path.join(dir, 'bash'), 0o755);
  return { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, npm_config_update_notifier: 'false' }, marker };
}

function run(t: Test, cmd: string, args: string[], timeoutMs = 30_000): Promise<Run> {
  const { env, marker } = guardedEnv(t);
  const started = Date.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const kill = setTimeout(() => { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr, setupCalled: existsSync(marker) && readFileSync(marker, 'utf8').length > 0, ms: Date.now() - started });
    });
  });
}

const ENV_ONLY = ['TRUNKWISE_ADMIN_TOKEN', 'TRUNKWISE_IVR_AUTH', 'DRACHTIO_HOST', 'DRACHTIO_PORT', 'DRACHTIO_SECRET'];

t.test('trunkwise --help: usage on stdout, exit 0, environment-only settings listed', async (t) => {
  const r = await run(t, process.execPath, ['--import', 'tsx', 'src/main.ts', '--help']);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 300)})`);
  t.match(r.stdout, /usage: npm start/);
  for (const k of ['--carriers', '--sip', '--http', 'TRUNKWISE_SIP', ...ENV_ONLY]) t.match(r.stdout, k, `lists ${k}`);
  t.equal(r.stderr, '', 'nothing on stderr');
});

t.test('npm start -- --help: help before any set-up, exit 0', async (t) => {
  const r = await run(t, 'npm', ['start', '--silent', '--', '--help']);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 300)})`);
  t.notOk(r.setupCalled, 'scripts/setup.sh was not run');
  t.match(r.stdout, /usage: npm start/);
  t.notMatch(r.stdout, /\[setup\]|\[start\]|carrier simulator/i, 'no set-up or simulator output before the help');
  for (const k of ENV_ONLY) t.match(r.stdout, k, `lists ${k}`);
});

for (const flag of ['-h', '--help']) {
  t.test(`npm run bench -- ${flag}: every option with its default and run time, nothing started`, async (t) => {
    const r = await run(t, process.execPath, ['--import', 'tsx', 'bench/run.ts', flag], 20_000);
    t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 300)})`);
    t.notOk(r.setupCalled, 'scripts/setup.sh was not run');
    for (const o of ['--only', '--quick', '--rates', '--max-cps', '--step-seconds', '--systems', '--kamailio-children', '--out', '--keep']) t.match(r.stdout, o, `lists ${o}`);
    t.match(r.stdout, /default/i, 'says the defaults');
    t.match(r.stdout, /\d+\s*(s|min)\b/, 'says how long a run takes');
    t.ok(r.ms < 15_000, `returned in ${r.ms} ms`);
  });
}

for (const bad of [['--frob'], ['quick'], ['--only', 'e2e', 'extra'], ['--rates']]) {
  t.test(`npm run bench -- ${bad.join(' ')}: refused before anything starts`, async (t) => {
    const r = await run(t, process.execPath, ['--import', 'tsx', 'bench/run.ts', ...bad], 20_000);
    t.not(r.code, 0, 'non-zero exit');
    t.notOk(r.setupCalled, 'scripts/setup.sh was not run');
    t.match(r.stderr, /unknown|needs a value|unexpected/i, `says what is wrong: ${r.stderr.trim().split('\n')[0]}`);
    t.match(r.stderr, /--help/, 'points at --help');
  });
}
