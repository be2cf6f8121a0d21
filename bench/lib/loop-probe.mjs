// Diagnostic preload for the tail benchmark (bench/tail.bench.ts): `node --import ./bench/lib/loop-probe.mjs …`
// with TRUNKWISE_PROBE_FILE set. Plain JavaScript so that it preloads into the compiled build too
// (no tsx loader in the process under test). Writes JSON lines, flushed once a second:
//   {t:'gc', at, ms, kind}      every GC pause (perf_hooks 'gc' entries; kind 1 scavenge, 2 mark-compact,
//                               4 incremental marking step, 8 weak callbacks); at = wall-clock ms
//   {t:'stall', at, ms}         a 5 ms interval timer that ran more than 10 ms late: the main thread was
//                               busy (or descheduled) from `at` for about `ms`
//   {t:'sec', at, eld, heap}    each second: event-loop delay (monitorEventLoopDelay) p50/p99/max ms,
//                               heap used/total MiB, new-space size, RSS, external and ArrayBuffer memory
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const file = process.env.TRUNKWISE_PROBE_FILE;
if (file) {
  const lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join('\n') + '\n');
    lines.length = 0;
  };
  const origin = performance.timeOrigin;
  const r = (x) => Math.round(x * 100) / 100;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lines.push(JSON.stringify({ t: 'gc', at: r(origin + e.startTime), ms: r(e.duration), kind: e.detail?.kind ?? 0 }));
  }).observe({ entryTypes: ['gc'] });

  const PERIOD = 5;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - PERIOD;
    if (late > 10) lines.push(JSON.stringify({ t: 'stall', at: r(origin + last + PERIOD), ms: r(late) }));
    last = now;
  }, PERIOD).unref();

  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const MiB = 1024 * 1024;
  setInterval(() => {
    const s = v8.getHeapStatistics();
    const ns = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    const m = process.memoryUsage();
    lines.push(JSON.stringify({
      t: 'sec', at: Date.now(),
      eld: { p50: r(h.percentile(50) / 1e6), p99: r(h.percentile(99) / 1e6), max: r(h.max / 1e6) },
      heap: { usedMiB: r(s.used_heap_size / MiB), totalMiB: r(s.total_heap_size / MiB), newSpaceMiB: r((ns?.space_size ?? 0) / MiB),
        rssMiB: r(m.rss / MiB), externalMiB: r(m.external / MiB), arrayBuffersMiB: r(m.arrayBuffers / MiB) },
    }));
    h.reset();
    flush();
  }, 1000).unref();
  process.on('exit', flush);
}
