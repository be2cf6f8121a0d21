// Prepares `npm test`'s raw V8 coverage for c8 (called by scripts/coverage.sh):
//  1. keeps only the scripts under src/ (each process's file is mostly node_modules and Node
//     internals, which c8 would otherwise parse and merge for nothing);
//  2. c8 merges the processes' counts per file by byte offset into the JavaScript each ran, which is
//     only right when they all ran the same JavaScript. A process started from another directory
//     (the throw-away projects of the first-run tests: src/ linked in, tsconfig.json not applying to
//     the real paths) gets different tsx output for the same file, and merging it scrambles that
//     file's counts. So per file the most common transpilation (by its line lengths, which Node
//     records with the source map) is kept and the others are dropped — and counted, so it shows.
//   usage: node scripts/coverage-prepare.cjs <raw-v8-dir> <out-dir>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { pathToFileURL } = require('node:url');

const [rawDir, outDir] = process.argv.slice(2);
const srcPrefix = pathToFileURL(path.join(fs.realpathSync(path.join(__dirname, '..')), 'src')).href + '/';
fs.mkdirSync(outDir, { recursive: true });

const fingerprint = (smc) => (smc && smc.lineLengths ? createHash('sha1').update(smc.lineLengths.join(',')).digest('hex') : 'none');
/** url → fingerprint → number of processes */
const seen = new Map();
const kept = [];
for (const name of fs.readdirSync(rawDir)) {
  let cov;
  try {
    cov = JSON.parse(fs.readFileSync(path.join(rawDir, name), 'utf8'));
  } catch {
    continue; // a process killed while writing: nothing usable
  }
  const smcAll = cov['source-map-cache'] || {};
  const result = (cov.result || []).filter((s) => typeof s.url === 'string' && s.url.startsWith(srcPrefix));
  if (result.length === 0) continue;
  const smc = {};
  const fps = {};
  for (const s of result) {
    if (smcAll[s.url]) smc[s.url] = smcAll[s.url];
    const fp = fingerprint(smcAll[s.url]);
    fps[s.url] = fp;
    const m = seen.get(s.url) || new Map();
    m.set(fp, (m.get(fp) || 0) + 1);
    seen.set(s.url, m);
  }
  fs.writeFileSync(path.join(outDir, name), JSON.stringify({ result, 'source-map-cache': smc }));
  kept.push({ name, fps });
}
const majority = new Map();
for (const [url, m] of seen) majority.set(url, [...m.entries()].sort((a, b) => b[1] - a[1])[0][0]);
let dropped = 0;
const droppedFiles = new Set();
for (const k of kept) {
  if (Object.entries(k.fps).every(([url, fp]) => fp === majority.get(url))) continue;
  const file = path.join(outDir, k.name);
  const cov = JSON.parse(fs.readFileSync(file, 'utf8'));
  cov.result = cov.result.filter((s) => {
    if (k.fps[s.url] === majority.get(s.url)) return true;
    dropped++;
    droppedFiles.add(s.url);
    delete cov['source-map-cache'][s.url]; // c8 keeps the last source map it reads per file: not this one
    return false;
  });
  if (cov.result.length) fs.writeFileSync(file, JSON.stringify(cov));
  else fs.rmSync(file);
}
const rel = (u) => path.relative(process.cwd(), new URL(u).pathname);
console.log(`coverage: ${kept.length} processes with src/ coverage` + (dropped
  ? `; ${dropped} script coverages left out, transpiled unlike the other processes (${[...droppedFiles].slice(0, 5).map(rel).join(', ')}${droppedFiles.size > 5 ? ', …' : ''})`
  : ''));
