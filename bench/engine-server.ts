/**
 * The system under test for bench/engine.bench.ts, in its own process so its CPU can be read from
 * /proc/PID/task/TID/schedstat apart from SIPp's. Roles:
 *   both    the embedded engine + the minimal srf B2BUA in one process over the in-process wire
 *           link (as trunkwise runs)
 *   both-tcp the same, but srf connects over loopback TCP (as before issue 11)
 *   engine  the engine alone, waiting for an application on the wire port
 *   app     the minimal srf B2BUA alone, connecting to an engine on the wire port
 * argv: role sipPort wirePort targetUri [thread|inline]
 * Prints `ready` once serving; answers each `counts` line on stdin with the engine's
 * transactions and dialogs as one JSON line (roles both / engine).
 * ALLOC_PROF=FILE: V8's sampling heap profiler runs from start to SIGTERM, counting objects the GC
 * has already collected too (every allocation, not only what is live), and writes FILE (.heapprofile,
 * readable in Chrome DevTools) before the process exits.
 */
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import { SipEngine, type UdpIngress } from '../src/engine';
import { startMinimalB2bua } from '../test/apps/minimal-b2bua';

type Role = 'both' | 'both-tcp' | 'engine' | 'app';

/** Starts allocation sampling when ALLOC_PROF is set; the returned function writes the profile. */
async function allocationSampling(): Promise<() => Promise<void>> {
  const file = process.env.ALLOC_PROF;
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
  };
}

async function main(): Promise<void> {
  const writeAllocations = await allocationSampling();
  const [role, sipPort, wirePort, target, ingress] = process.argv.slice(2) as [Role, string, string, string, UdpIngress | undefined];
  let engine: SipEngine | undefined;
  if (role !== 'app') {
    engine = new SipEngine({
      sip: [{ protocol: 'udp', address: '127.0.0.1', port: Number(sipPort) }, { protocol: 'tcp', address: '127.0.0.1', port: Number(sipPort) }],
      wire: { host: '127.0.0.1', port: Number(wirePort), secret: 'bench' },
      ...(ingress && { udpIngress: ingress }),
    });
    await engine.start();
  }
  if (role !== 'engine') {
    const local = role === 'both' ? engine?.connectLocal() : undefined;
    await startMinimalB2bua({ host: '127.0.0.1', port: Number(wirePort), secret: 'bench', target, ...(local && { local }) });
  }
  createInterface({ input: process.stdin }).on('line', (l) => {
    // `heap FILE`: a heap snapshot now (HEAP_AT in the bench), answered with one JSON line when written.
    if (l.startsWith('heap ')) {
      const file = writeHeapSnapshot(l.slice(5).trim());
      process.stdout.write(`${JSON.stringify({ heapSnapshot: file })}\n`);
      return;
    }
    if (l.trim() !== 'counts') return;
    const s = engine?.stats();
    // Live memory: after a full GC when the process runs with --expose-gc (the bench does), so the
    // heap is what the open transactions and dialogs hold, not garbage not yet collected.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    const mem = { heapMiB: Math.round(m.heapUsed / 1048576), externalMiB: Math.round(m.external / 1048576) };
    process.stdout.write(`${JSON.stringify(s ? { serverTransactions: s.serverTransactions, clientTransactions: s.clientTransactions, dialogs: s.dialogs, ...mem } : {})}\n`);
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void (engine ? engine.stop() : Promise.resolve()).then(writeAllocations).then(() => process.exit(0)));
}

void main();
