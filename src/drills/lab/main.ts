/**
 * `npm run drill -- --lab [--short | --from-clean | --sudden] [--baseline | --both] [--out DIR]` (through lab/outage-lab.sh,
 * which removes the namespaces whatever happens): the outage lab, with upstream health on (default),
 * off (--baseline) or both runs in a row (--both); --from-clean skips the 5 % phase (how fast 30 %
 * moves the IVR off a site healthy until then), --sudden cuts a healthy site's uplink at once (100 %); the markdown report on stdout, and with --out
 * outage-lab.md + outage-lab.json in DIR.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labJson, labMarkdown } from './report';
import { FROM_CLEAN, FULL, runLab, SHORT, SUDDEN, type LabRun } from './run';

export async function labMain(argv: readonly string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('the outage lab creates network namespaces: run it as root\n');
    return 2;
  }
  const size = argv.includes('--short') ? SHORT : argv.includes('--from-clean') ? FROM_CLEAN : argv.includes('--sudden') ? SUDDEN : FULL;
  const modes = argv.includes('--both') ? [true, false] : [!argv.includes('--baseline')];
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const runs: LabRun[] = [];
  for (const upstream of modes) runs.push(await runLab({ upstream, ...size }));
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}, Node ${process.version}`;
  const md = labMarkdown(runs, machine, `npm run drill -- --lab ${argv.join(' ')}`.trim());
  process.stdout.write(md);
  if (out) {
    writeFileSync(path.join(out, 'outage-lab.md'), md);
    writeFileSync(path.join(out, 'outage-lab.json'), `${JSON.stringify(labJson(runs, { cpus: os.cpus().length, load: os.loadavg(), node: process.version }), null, 2)}\n`);
  }
  return runs.some((r) => r.upstream && r.calls.failed > 0) ? 1 : 0;
}

if (require.main === module) void labMain(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`outage lab failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
