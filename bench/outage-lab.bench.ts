/**
 * The outage lab, full length, both ways (`npx tsx bench/outage-lab.bench.ts`, root, ~7 min — run
 * it under `flock /tmp/trunkwise-heavy.lock` on a shared machine): upstream health on, then off (the
 * plain set-up: the edges always answer 200, the dispatcher only has its own OPTIONS timeouts and
 * INVITE timers). Writes bench/results/outage-lab.md + .json. The lab itself: src/drills/lab/,
 * lab/, docs/outage-lab.md.
 */
import path from 'node:path';
import { labMain } from '../src/drills/lab/main';

if (require.main === module) {
  void labMain(['--both', '--out', path.join(__dirname, 'results'), ...process.argv.slice(2)]).then((code) => process.exit(code));
}
