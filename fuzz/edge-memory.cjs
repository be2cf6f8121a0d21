/**
 * Preloaded into the fuzzed edge only (fuzz/edge.ts: `--expose-gc --require`), never in production;
 * worker threads inherit it. On SIGUSR2 every thread runs two full garbage collections and reports
 * its heap (workers over a BroadcastChannel), then the main thread appends one JSON line to
 * $TRUNKWISE_FUZZ_MEMORY_FILE: the process's RSS and each isolate's heap — so the run can tell memory
 * the heaps still hold (retained objects) from memory the process keeps after a peak (RSS that a GC
 * does not give back). With $TRUNKWISE_FUZZ_HEAPSNAP_DIR set, the main thread also writes a heap
 * snapshot there each time.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { isMainThread, threadId } = require('node:worker_threads');

const CHANNEL = 'trunkwise-fuzz-memory';
const file = process.env.TRUNKWISE_FUZZ_MEMORY_FILE;
const snapDir = process.env.TRUNKWISE_FUZZ_HEAPSNAP_DIR;

function isolate() {
  globalThis.gc();
  globalThis.gc();
  const h = v8.getHeapStatistics();
  return { threadId, heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, physical: h.total_physical_size, external: h.external_memory, malloced: h.malloced_memory };
}

if (file && typeof globalThis.gc === 'function' && !isMainThread) {
  const bc = new BroadcastChannel(CHANNEL);
  bc.unref();
  bc.onmessage = (e) => {
    if (e.data === 'measure') bc.postMessage(isolate());
  };
}

/**
 * Where the RSS is, from /proc/self/smaps (KiB): the brk heap, anonymous mappings that start on a
 * 64 MiB boundary (glibc's per-thread malloc arenas, a heuristic), other anonymous mappings (V8's
 * heaps, mmap'd malloc chunks) and file-backed ones (code, libraries).
 */
function smaps() {
  const out = { brkHeap: 0, arenaLike: 0, arenas: 0, otherAnon: 0, file: 0 };
  let kind = 'file';
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const where = head[3].trim();
      const start = BigInt(`0x${head[1]}`);
      if (where === '[heap]') kind = 'brkHeap';
      else if (where && !where.startsWith('[anon')) kind = 'file';
      else if (start % 0x4000000n === 0n && head[2].startsWith('rw')) {
        kind = 'arenaLike';
        out.arenas++;
      } else kind = 'otherAnon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  return out;
}

let n = 0;
if (file && typeof globalThis.gc === 'function' && isMainThread) {
  process.on('SIGUSR2', () => {
    const rssBeforeGc = process.memoryUsage().rss;
    const workers = [];
    const bc = new BroadcastChannel(CHANNEL);
    bc.onmessage = (e) => {
      if (e.data && typeof e.data === 'object') workers.push(e.data);
    };
    bc.postMessage('measure');
    setTimeout(() => {
      bc.close();
      const main = isolate();
      const m = process.memoryUsage();
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1024)]));
      n++;
      const snapshot = snapDir ? v8.writeHeapSnapshot(path.join(snapDir, `edge-${n}.heapsnapshot`)) : undefined;
      fs.appendFileSync(file, `${JSON.stringify({ n, at: Date.now(), rssBeforeGc, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
        arrayBuffers: m.arrayBuffers, mallocedMemory: main.malloced, spacesKiB: spaces, workers, smapsKiB: smaps(), snapshot })}\n`);
    }, 500);
  });
}
