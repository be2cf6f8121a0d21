/**
 * `npm run drill`: `--lab …` runs the outage lab (lab/outage-lab.sh, network namespaces, root).
 * Drills against a live edge (drain a carrier under synthetic calls) are issue 13's next step.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const argv = process.argv.slice(2);
if (argv.includes('--lab')) {
  const r = spawnSync('bash', [path.join(__dirname, '..', '..', 'lab', 'outage-lab.sh'), ...argv.filter((a) => a !== '--lab')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
process.stderr.write('usage: npm run drill -- --lab [--short] [--baseline | --both] [--out DIR]\n(drills against a live edge are not built yet)\n');
process.exit(2);
