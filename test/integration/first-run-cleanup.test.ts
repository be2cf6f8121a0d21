/**
 * Tests clean up after themselves: a process that ran SIPp through test/helpers/sipp.ts leaves no
 * SIPp working folder behind once it exits (every `npm test` used to leave ~100 of them in /tmp).
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

t.test('a process that ran SIPp leaves no SIPp folder behind', async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'tw-cleanup-test-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // A child that runs one short SIPp UAS and one UAC (the UAC's 1 call fails: nobody answers fast),
  // prints the folders the helper used, then exits normally.
  const script = path.join(work, 'run.ts');
  writeFileSync(script, `
    import { runSipp, startSippServer } from ${JSON.stringify(path.join(ROOT, 'test/helpers/sipp'))};
    (async () => {
      const uas = await startSippServer({ scenario: ${JSON.stringify(path.join(ROOT, 'test/scenarios/uas-carrier-answer.xml'))}, timeoutMs: 20000 });
      const uac = await runSipp({ scenario: ${JSON.stringify(path.join(ROOT, 'test/scenarios/uac-basic-call.xml'))}, remote: '127.0.0.1:' + uas.port, calls: 1, timeoutMs: 15000 });
      const end = await uas.stop();
      console.log(JSON.stringify({ dirs: [uac.dir, end.dir], ok: uac.successful }));
    })();
  `);
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    c.stdout.on('data', (d: Buffer) => void (s += d.toString()));
    const kill = setTimeout(() => c.kill('SIGKILL'), 40_000);
    c.on('exit', () => { clearTimeout(kill); resolve(s); });
    c.on('error', reject);
  });
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { dirs?: string[]; ok?: number };
  t.equal(r.dirs?.length, 2, 'the child ran SIPp twice');
  t.equal(r.ok, 1, 'the call went through (SIPp really ran)');
  for (const d of r.dirs ?? []) t.notOk(existsSync(d), `SIPp folder ${d} removed when the process exited`);
});

t.test('a trunkwise started by the test helper: stop() removes its folder, is idempotent, and resolves after a death by signal', async (t) => {
  const { startTrunkwise } = await import('../helpers/trunkwise-process');
  const routes = { 'all.yaml': 'routes:\n  - id: all\n    default: true\n    carriers: [{ id: c1 }]\n' };
  const a = await startTrunkwise({ carriers: [{ id: 'c1', port: 5999, weight: 1 }], routes });
  const dirA = path.dirname(a.carriersFile);
  t.ok(existsSync(dirA), 'its work folder exists while it runs');
  await a.stop();
  t.notOk(existsSync(dirA), 'stop() removed the work folder');
  // Each limit below is cleared once the race is decided: left pending, the 8 s one kept this test
  // process alive after its last test.
  let limit: NodeJS.Timeout | undefined;
  const again = await Promise.race([a.stop().then(() => 'resolved'), new Promise((r) => (limit = setTimeout(() => r('hung'), 3000)))]);
  clearTimeout(limit);
  t.equal(again, 'resolved', 'a second stop() resolves at once');

  const b = await startTrunkwise({ carriers: [{ id: 'c1', port: 5999, weight: 1 }], routes });
  const pid = findPid(b.sipPort);
  t.ok(Number.isFinite(pid), `found trunkwise's PID (${pid}) by its SIP port`);
  if (Number.isFinite(pid)) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  const afterKill = await Promise.race([b.stop().then(() => 'resolved'), new Promise((r) => (limit = setTimeout(() => r('hung'), 8000)))]);
  clearTimeout(limit);
  t.equal(afterKill, 'resolved', 'stop() after the process was killed by a signal resolves');
  t.notOk(existsSync(path.dirname(b.carriersFile)), 'and its folder is gone too');
});

/** The PID listening on a UDP port (ss from iproute2, installed by the set-up). */
function findPid(port: number): number {
  const out = spawnSync('ss', ['-Hulpn', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  return Number(/pid=(\d+)/.exec(out)?.[1] ?? NaN);
}
