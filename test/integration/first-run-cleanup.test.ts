/**
 * Tests clean up after themselves: a process that ran SIPp through test/helpers/sipp.ts leaves no
 * SIPp working folder behind once it exits (every `npm test` used to leave ~100 of them in /tmp).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
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
