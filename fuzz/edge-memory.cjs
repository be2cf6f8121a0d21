/**
 * Preloaded into the fuzzed edge only (fuzz/edge.ts: `--expose-gc --require`), never in production:
 * on SIGUSR2, two full garbage collections, then the process's memory figures appended as one JSON
 * line to $TRUNKWISE_FUZZ_MEMORY_FILE — so the run can tell memory the heap still holds (retained
 * objects) from memory V8 and the allocator keep after a peak (RSS that a GC does not give back).
 * With $TRUNKWISE_FUZZ_HEAPSNAP_DIR set, each signal also writes a heap snapshot there.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const file = process.env.TRUNKWISE_FUZZ_MEMORY_FILE;
const snapDir = process.env.TRUNKWISE_FUZZ_HEAPSNAP_DIR;
let n = 0;
if (file && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    const before = process.memoryUsage().rss;
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1024)]));
    n++;
    const snapshot = snapDir ? v8.writeHeapSnapshot(path.join(snapDir, `edge-${n}.heapsnapshot`)) : undefined;
    fs.appendFileSync(file, `${JSON.stringify({ n, at: Date.now(), rssBeforeGc: before, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
      arrayBuffers: m.arrayBuffers, mallocedMemory: h.malloced_memory, peakMallocedMemory: h.peak_malloced_memory, spacesKiB: spaces, snapshot })}\n`);
  });
}
