/**
 * The outage lab, full length, both ways (`npx tsx bench/outage-lab.bench.ts` or
 * `npm run bench -- --only outage-lab`; root, ~7 min — under `flock /tmp/trunkwise-heavy.lock` on a
 * shared machine): upstream health on, then off (the plain set-up: the edges always answer 200, the
 * dispatcher only has its own OPTIONS timeouts and INVITE timers). Writes bench/results/outage-lab.md,
 * .json and outage-lab-timeline.png (new calls per second to each site, calls lost, slowest setup,
 * with the phases marked). The lab itself: src/drills/lab/, lab/, docs/outage-lab.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { labMain } from '../src/drills/lab/main';
import type { LabSecond } from '../src/drills/lab/report';
import { writeChartPng, type Series } from './lib/plot';

interface LabJsonRun {
  upstream: boolean;
  cps: number;
  timeline: LabSecond[];
  phaseStartsS: Array<{ name: string; atS: number }>;
}

/** Runs the lab (both ways, or `extra` e.g. --short) into `out`; returns labMain's exit code. */
export async function runOutageLab(out: string, extra: readonly string[] = []): Promise<number> {
  const code = await labMain(['--both', '--out', out, ...extra]);
  const runs = (JSON.parse(readFileSync(path.join(out, 'outage-lab.json'), 'utf8')) as { runs: LabJsonRun[] }).runs;
  const colour = (on: boolean, a: string, b: string): string => (on ? a : b);
  const series: Series[] = runs.flatMap((r) => {
    const tag = r.upstream ? 'upstream health on' : 'off (baseline)';
    return [
      { name: `${tag}: new calls/s to site A`, color: colour(r.upstream, '#0969da', '#8c959f'), dashed: !r.upstream, points: r.timeline.map((t) => [t.s, t.toA] as [number, number]) },
      { name: `${tag}: new calls/s to site B`, color: colour(r.upstream, '#1a7f37', '#57606a'), dashed: !r.upstream, points: r.timeline.map((t) => [t.s, t.toB] as [number, number]) },
      { name: `${tag}: calls lost ×5`, color: colour(r.upstream, '#cf222e', '#ff8182'), dashed: !r.upstream, points: r.timeline.map((t) => [t.s, t.failed * 5] as [number, number]) },
    ];
  });
  const phases = runs[0]?.phaseStartsS ?? [];
  await writeChartPng({
    title: "Outage lab: site A's uplink loses 5 %, 30 %, 100 %, then recovers",
    subtitle: `phases from ${phases.map((p) => `${p.atS.toFixed(0)} s ${p.name}`).join(' · ')} · ${runs[0]?.cps ?? 0} calls/s`,
    xLabel: 'seconds since the first phase began', yLabel: 'new calls per second  /  calls lost × 5', series,
  }, path.join(out, 'outage-lab-timeline.png'));
  return code;
}

if (require.main === module) {
  void runOutageLab(path.join(__dirname, 'results'), process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`outage lab: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
