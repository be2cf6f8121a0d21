/**
 * Where trunkwise spends its CPU under load: trunkwise runs under `node --cpu-prof` (V8's sampling
 * profiler) with the same carriers and caller as the e2e benchmark, at a fixed rate for a fixed time;
 * the profile written at exit is summarised by function and by area (bench/lib/cpu-profile.ts).
 * Usage: npx tsx bench/profile.bench.ts [rate]   (normally run through bench/run.ts)
 *        PROFILE_OUT=FILE.cpuprofile keeps the raw profile (for Chrome DevTools or a closer look).
 */
import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCarriers } from './lib/carriers';
import { summariseProfile, type ProfileSummary } from './lib/cpu-profile';
import { buildOnce } from './lib/build';
import { say, withProgress } from './lib/log';
import { freePorts } from './lib/ports';
import { startUac } from './lib/sipp-run';
import { startTrunkwise } from './lib/trunkwise-sut';

export interface ProfileRun {
  rate: number;
  seconds: number;
  calls: number;
  successful: number;
  failed: number;
  summary?: ProfileSummary;
  error?: string;
}

export async function runProfile(rate: number, seconds: number, holdMs = 1000): Promise<ProfileRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-profile-'));
  const profDir = path.join(dir, 'prof');
  mkdirSync(profDir);
  // The compiled build, as production and the e2e benchmark run it: under tsx the profile also
  // showed esbuild and the loaders (3 % of it) that production never runs. Built before the carriers
  // start, so a failed build leaves no SIPp behind.
  const build = buildOnce();
  const carriers = await startCarriers();
  const run: ProfileRun = { rate, seconds, calls: rate * seconds, successful: 0, failed: 0 };
  try {
    const sut = await startTrunkwise({ carriers: carriers.list, dir, cpuProfDir: profDir, distDir: build.dir });
    try {
      const [port] = await freePorts(1);
      say(`profile: trunkwise under node --cpu-prof at ${rate} calls/s for ${seconds} s`);
      const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sut.sipPort}`, localPort: port!, rate, calls: run.calls, holdMs,
        boundMs: (seconds + 20) * 1000, recvTimeoutMs: 10_000 });
      const s = await withProgress('profile run', uac.done, () => `${uac.progress().outgoing}/${run.calls} placed`);
      run.successful = s.successful;
      run.failed = s.failed;
    } finally {
      await sut.stop(); // SIGTERM → drain → exit: V8 writes the profile now
    }
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('trunkwise wrote no .cpuprofile (did it exit cleanly?)');
    if (process.env.PROFILE_OUT) copyFileSync(path.join(profDir, file), process.env.PROFILE_OUT);
    run.summary = summariseProfile(path.join(profDir, file), 25, build.dir);
  } catch (err) {
    run.error = (err as Error).message;
    say(`profile: ERROR ${run.error}`);
  } finally {
    await carriers.stop();
    build.remove();
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

if (require.main === module) {
  void runProfile(Number(process.argv[2] ?? 300), 10).then((r) => console.log(JSON.stringify(r, null, 2)));
}
