/**
 * Before / after profile of trunkwise for issue 11 → bench/results/profile.md + profile.json.
 * "after" is this checkout (bench/profile.bench.ts: trunkwise under node --cpu-prof, the e2e caller
 * and carriers, a fixed rate); "before" is the same benchmark run from another checkout of the
 * project at the commit before the work (its own bench/profile.bench.ts, same rate), one right after
 * the other. Shares are of busy (non-idle) main-thread time, so they compare across runs even on a
 * shared machine; "busy ms per call" moves with the machine's load.
 * Usage: npx tsx bench/profile-compare.ts BEFORE_CHECKOUT [rate] [seconds]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { ProfileSummary } from './lib/cpu-profile';
import { machineInfo, toolVersions } from './lib/machine';
import { say } from './lib/log';
import { header, table, writeResult } from './lib/report';
import { runProfile, type ProfileRun } from './profile.bench';

function runBefore(checkout: string, rate: number): ProfileRun {
  const r = spawnSync('npx', ['tsx', 'bench/profile.bench.ts', String(rate)], { cwd: checkout, encoding: 'utf8', timeout: 180_000 });
  const out = r.stdout ?? '';
  const at = out.indexOf('\n{');
  if (at === -1) throw new Error(`no profile from ${checkout}: ${out.slice(-500)}${r.stderr ?? ''}`);
  return JSON.parse(out.slice(at + 1)) as ProfileRun;
}

const busyMs = (s: ProfileSummary): number => s.totalMs * (1 - s.idlePct / 100);
const pctOfBusy = (s: ProfileSummary, selfMs: number): number => Math.round((selfMs / busyMs(s)) * 1000) / 10;

function compareRows(a: ProfileSummary, b: ProfileSummary, key: 'byArea' | 'topFunctions', n: number): Array<Array<string | number>> {
  const names = [...new Set([...a[key], ...b[key]].filter((r) => r.name !== '(idle)').sort((x, y) => y.selfMs - x.selfMs).map((r) => r.name))].slice(0, n);
  const get = (s: ProfileSummary, name: string): number | undefined => s[key].find((r) => r.name === name)?.selfMs;
  return names.map((name) => {
    const x = get(a, name);
    const y = get(b, name);
    return [key === 'topFunctions' ? `\`${name.replace(/\|/g, '\\|')}\`` : name, x === undefined ? '—' : `${pctOfBusy(a, x)} %`, y === undefined ? '—' : `${pctOfBusy(b, y)} %`];
  });
}

async function main(): Promise<void> {
  const [checkout, rateArg, secondsArg] = process.argv.slice(2);
  if (!checkout) throw new Error('usage: npx tsx bench/profile-compare.ts BEFORE_CHECKOUT [rate] [seconds]');
  const rate = Number(rateArg ?? 200);
  const seconds = Number(secondsArg ?? 10);
  say(`profile before (${checkout}) at ${rate} calls/s`);
  const before = runBefore(path.resolve(checkout), rate);
  say(`profile after (this checkout) at ${rate} calls/s`);
  const after = await runProfile(rate, seconds);
  const m = { ...machineInfo(), tools: toolVersions() };
  const md = header('trunkwise CPU profile: before and after issue 11', m, [
    `trunkwise under \`node --cpu-prof\` with the e2e caller and carriers at ${rate} calls/s for ${seconds} s (bench/profile.bench.ts), first from the checkout before the work (${checkout}), then from this one, back to back on the same machine.`,
    'Shares are of the busy (non-idle) time of the main thread, so they compare across the two runs; "busy ms per call" = busy main-thread time / calls, which also moves with how loaded the machine was. The UDP ingress worker thread is not in these profiles.',
  ]);
  const a = before.summary;
  const b = after.summary;
  if (!a || !b) {
    md.push(`Profile missing: before ${before.error ?? 'ok'}, after ${after.error ?? 'ok'}.`, '');
  } else {
    md.push('## Summary', '', ...table(['', 'before', 'after'], [
      ['calls ok / placed', `${before.successful} / ${before.calls}`, `${after.successful} / ${after.calls}`],
      ['busy main-thread ms', Math.round(busyMs(a)), Math.round(busyMs(b))],
      ['busy ms per call', Math.round((busyMs(a) / before.calls) * 1000) / 1000, Math.round((busyMs(b) / after.calls) * 1000) / 1000],
      ['idle %', a.idlePct, b.idlePct],
    ]), '## Self time by area (% of busy time)', '', ...table(['area', 'before', 'after'], compareRows(a, b, 'byArea', 20)),
    '## Top functions (% of busy time)', '', ...table(['function (file:line)', 'before', 'after'], compareRows(a, b, 'topFunctions', 30)));
  }
  const out = path.join(__dirname, 'results');
  writeResult(out, 'profile', md, { benchmark: 'profile-compare', machine: m, rate, seconds, before, after });
  say(`wrote ${out}/profile.md`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
