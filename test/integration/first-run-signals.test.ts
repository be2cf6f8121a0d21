/**
 * `npm start` as a user runs it, stopped the ways a user stops it: SIGTERM to npm's PID (a service
 * manager, `kill`), and Ctrl-C (SIGINT to the terminal's whole process group). Trunkwise must drain
 * first — a visible "draining N calls, up to 30 s" line, calls up finish — then the simulator stops,
 * with no false alarm on the way (no carrier down, no local fault), and no process may be left.
 * Calls still up at the 30 s drain limit get BYE on both legs (the IVR's and the carrier's).
 *
 * The project is a temporary folder with the real scripts, sources and node modules linked in and a
 * carriers.yaml on free ports; setup.sh is skipped (TRUNKWISE_SKIP_SETUP=1: npm test ran it).
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../helpers/sipp';
import { startIvr, type IvrCallResult } from '../../src/sim/ivr';
import { descendants } from '../helpers/procs';

const ROOT = path.join(__dirname, '..', '..');
const IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A time limit raced against an outcome: unref'd, so a limit that was not needed does not keep the test process alive. */
const limit = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

interface Started {
  npm: ChildProcess;
  sip: number;
  http: number;
  simHttp: number;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** A throw-away project: real scripts/src/routes/node_modules, a carriers.yaml on free ports. */
async function project(t: Test): Promise<{ dir: string; carrierPorts: number[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-first-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['scripts', 'src', 'routes', 'node_modules', 'tsconfig.json']) symlinkSync(path.join(ROOT, name), path.join(dir, name));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  const carrierPorts = await freePorts(5);
  let yaml = readFileSync(path.join(ROOT, 'carriers.yaml'), 'utf8');
  IDS.forEach((_, i) => (yaml = yaml.replaceAll(`127.0.0.1:${5071 + i}`, `127.0.0.1:${carrierPorts[i]}`)));
  writeFileSync(path.join(dir, 'carriers.yaml'), yaml);
  return { dir, carrierPorts };
}

async function npmStart(t: Test, dir: string, args: string[] = []): Promise<Started> {
  const [sip, http, simHttp] = await freePorts(3);
  const npm = spawn('npm', ['start', '--silent', ...(args.length ? ['--', ...args] : [])], {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, TRUNKWISE_SKIP_SETUP: '1', TRUNKWISE_SIP: `127.0.0.1:${sip}`, TRUNKWISE_HTTP: `127.0.0.1:${http}`, SIM_HTTP: `127.0.0.1:${simHttp}`,
      TRUNKWISE_ADMIN_TOKEN: 'first-run-token', LOG_LEVEL: 'info', npm_config_update_notifier: 'false',
    },
  });
  const out = { stdout: '', stderr: '' };
  npm.stdout!.on('data', (d: Buffer) => void (out.stdout += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => void (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch { /* already gone */ }
    for (const p of descendants(npm.pid!)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  });
  const until = Date.now() + 45_000;
  while (!(await answers(`http://127.0.0.1:${http}/health`)) && Date.now() < until && npm.exitCode === null) await sleep(200);
  if (!(await answers(`http://127.0.0.1:${http}/health`))) throw new Error(`npm start did not come up:\n${out.stderr.slice(-2000)}`);
  await sleep(300); // the banner follows the ready line
  return { npm, sip: sip!, http: http!, simHttp: simHttp!, out, exited };
}


function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

/** JSON log lines on trunkwise's stdout (not a terminal there, so JSON). */
function logs(s: Started): Array<Record<string, unknown>> {
  return s.out.stdout.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Sends the stop, then watches who answers until npm exits: trunkwise must go before the simulator. */
async function stopAndWatch(s: Started, stop: () => void): Promise<{ code: number | null; twLast: number; simLast: number; ms: number }> {
  let twLast = 0;
  let simLast = 0;
  let done = false;
  const watch = (async () => {
    while (!done) {
      const [tw, sim] = await Promise.all([answers(`http://127.0.0.1:${s.http}/health`), answers(`http://127.0.0.1:${s.simHttp}/health`)]);
      if (tw) twLast = Date.now();
      if (sim) simLast = Date.now();
      await sleep(100);
    }
  })();
  const t0 = Date.now();
  stop();
  const code = await Promise.race([s.exited, limit(60_000).then(() => -1)]);
  done = true;
  await watch;
  return { code, twLast, simLast, ms: Date.now() - t0 };
}

function noFalseAlarms(t: Test, s: Started, after: number): void {
  const alarms = logs(s).filter((l) => (l.event === 'carrier-state' || l.event === 'local-fault') && Number(l.time) >= after);
  t.same(alarms.map((l) => `${String(l.carrier ?? '')} ${String(l.msg)}`), [], 'no carrier state change and no local-fault alarm during shutdown');
}

async function childrenGone(t: Test, pids: number[]): Promise<void> {
  const until = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < until) await sleep(100);
  t.same(pids.filter(alive), [], `none of npm's ${pids.length} child processes is left`);
}

// Two tests at a time, each with its own project folder, ports and process group: the drain-limit
// test, which mostly waits out the 30 s limit, goes first and the others run beside it. (tap runs a
// file's top-level tests one by one; a parent test with `jobs` runs its children side by side.)
const tests: Array<[string, (t: Test) => Promise<void>]> = [];
const test = (name: string, fn: (t: Test) => Promise<void>): void => void tests.push([name, fn]);

test('calls still up at the 30 s drain limit: BYE on both legs, then everything stops', async (t) => {
  const { dir } = await project(t);
  const s = await npmStart(t, dir);
  const kids = descendants(s.npm.pid!);
  const ivr = await startIvr({ target: `127.0.0.1:${s.sip}`, localAddress: '127.0.0.1', seed: 4 });
  t.teardown(() => ivr.stop());
  await sleep(2500);
  const calls = Array.from({ length: 3 }, () => ivr.call({ to: '+4930123456', holdMs: 120_000 }));
  const until = Date.now() + 5000;
  while (ivr.active < 3 && Date.now() < until) await sleep(50);
  await sleep(500);
  // The carriers' BYE counters, read while the simulator is still up.
  let carrierByes = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      try {
        const list = (await (await fetch(`http://127.0.0.1:${s.simHttp}/carriers`, { signal: AbortSignal.timeout(500) })).json()) as Array<{ stats?: { byesReceived?: number } }>;
        carrierByes = list.reduce((n, c) => n + (c.stats?.byesReceived ?? 0), 0);
      } catch { /* simulator gone */ }
      await sleep(100);
    }
  })();
  const signalledAt = Date.now();
  process.kill(s.npm.pid!, 'SIGTERM');
  const results = await Promise.all(calls);
  const endedAfter = Date.now() - signalledAt;
  const code = await Promise.race([s.exited, limit(20_000).then(() => -1)]);
  polling = false;
  await poll;
  t.equal(code, 0, 'npm exited 0');
  t.match(s.out.stderr, /draining 3 calls, up to 30 s/);
  t.match(s.out.stderr, /BYE to both legs of 3 calls/, 'says it ended the calls still up');
  t.ok(endedAfter >= 29_000 && endedAfter < 36_000, `calls ended at the drain limit (${endedAfter} ms after the signal)`);
  t.same(results.map((x) => x.endedBy), ['remote-bye', 'remote-bye', 'remote-bye'], 'the IVR leg of each call got BYE');
  t.equal(carrierByes, 3, 'the carrier leg of each call got BYE');
  noFalseAlarms(t, s, signalledAt);
  await childrenGone(t, kids);
});

for (const how of ['SIGTERM to npm', 'Ctrl-C (SIGINT to the process group)'] as const) {
  test(`npm start, 4 calls up, ${how}: trunkwise drains, then the simulator stops, nothing is left`, async (t) => {
    const { dir } = await project(t);
    const s = await npmStart(t, dir);
    t.match(s.out.stderr, /Dashboard \(NOC\)\s+http:\/\/127\.0\.0\.1:\d+\/dashboard\//, 'the banner shows the dashboard');
    const kids = descendants(s.npm.pid!);
    t.ok(kids.length >= 3, `npm's children: ${kids.length} (shell script, trunkwise, simulator)`);
    const ivr = await startIvr({ target: `127.0.0.1:${s.sip}`, localAddress: '127.0.0.1', seed: 3 });
    t.teardown(() => ivr.stop());
    await sleep(2500); // carriers probed once
    const calls: Promise<IvrCallResult>[] = Array.from({ length: 4 }, () => ivr.call({ to: '+4930123456', holdMs: 5000 }));
    const until = Date.now() + 5000;
    while (ivr.active < 4 && Date.now() < until) await sleep(50);
    await sleep(500);
    const signalledAt = Date.now();
    const r = await stopAndWatch(s, () => (how === 'SIGTERM to npm' ? process.kill(s.npm.pid!, 'SIGTERM') : process.kill(-s.npm.pid!, 'SIGINT')));
    const results = await Promise.all(calls);
    t.equal(r.code, 0, `npm exited 0 after ${r.ms} ms`);
    t.match(s.out.stderr, /draining 4 calls, up to 30 s/, 'says it is draining 4 calls');
    t.same(results.map((x) => `${x.status} ${x.endedBy} ${x.byeStatus}`), Array(4).fill('200 ivr-bye 200'), 'the 4 calls finished normally, answered BYE');
    t.ok(results.every((x) => x.rtpReceived > 150), `RTP kept coming back until the end (min ${Math.min(...results.map((x) => x.rtpReceived))} packets)`);
    t.ok(r.simLast >= r.twLast, `the simulator answered until after trunkwise had stopped (trunkwise last ${r.twLast - signalledAt} ms, simulator last ${r.simLast - signalledAt} ms after the signal)`);
    noFalseAlarms(t, s, signalledAt);
    t.ok(logs(s).some((l) => l.msg === 'trunkwise stopped'), 'trunkwise logged its stop');
    await childrenGone(t, kids);
  });
}

test('npm start -- --carriers FILE: no simulator', async (t) => {
  const { dir } = await project(t);
  const file = path.join(dir, 'real-carriers.yaml');
  copyFileSync(path.join(dir, 'carriers.yaml'), file);
  const s = await npmStart(t, dir, ['--carriers', file]);
  t.match(s.out.stderr, /no simulator started/, 'start.sh says so');
  t.match(s.out.stderr, /5 carriers from .*real-carriers\.yaml \(no simulator\)/, 'the banner says so');
  t.notOk(await answers(`http://127.0.0.1:${s.simHttp}/health`), 'no simulator control API');
  const cmdlines = descendants(s.npm.pid!).map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } });
  t.notOk(cmdlines.some((c) => c.includes('src/sim/main.ts')), 'no simulator process');
  process.kill(s.npm.pid!, 'SIGTERM');
  t.equal(await s.exited, 0, 'stops with exit 0');
});

test('a YAML typo in carriers.yaml: trunkwise reports it once with file and line; the simulator\'s copy is not printed', async (t) => {
  const { dir } = await project(t);
  const file = path.join(dir, 'carriers.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {4}weight: 25$/m, '    weight 25'));
  const [sip, http, simHttp] = await freePorts(3);
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TRUNKWISE_SKIP_SETUP: '1', TRUNKWISE_SIP: `127.0.0.1:${sip}`, TRUNKWISE_HTTP: `127.0.0.1:${http}`, SIM_HTTP: `127.0.0.1:${simHttp}`, npm_config_update_notifier: 'false' },
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  const code = await new Promise((resolve) => npm.on('exit', resolve));
  t.not(code, 0, 'npm start fails');
  t.match(out, /carriers\.yaml:\d+: YAML syntax/, 'trunkwise names file and line');
  t.equal(out.match(/YAML/g)?.length, 1, `the error is printed once:\n${out}`);
  t.notMatch(out, /\[sim\]|simulator stopped/, 'nothing from the simulator');
});

t.test('npm start, stopped the ways a user stops it', { jobs: 2 }, async (t) => {
  for (const [name, fn] of tests) void t.test(name, fn);
});
