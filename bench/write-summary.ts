/**
 * Rewrite bench/results/summary.md from the JSON results already there (after running a part on its
 * own, e.g. bench/engine.bench.ts). Results dated before the e2e run are marked as earlier.
 * Usage: npx tsx bench/write-summary.ts "<the command that produced the e2e results>" [its wall seconds]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { machineInfo, toolVersions } from './lib/machine';
import { writeSummary } from './lib/summary';

const dir = path.join(__dirname, 'results');
const e2e = JSON.parse(readFileSync(path.join(dir, 'e2e.json'), 'utf8')) as { machine: { date: string } };
writeSummary(dir, { ...machineInfo(), tools: toolVersions() }, process.argv[2] ?? 'npm run bench', Number(process.argv[3] ?? 0), e2e.machine.date);
console.log(`wrote ${dir}/summary.md`);
