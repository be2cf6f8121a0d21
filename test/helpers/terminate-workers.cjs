/**
 * Test-only preload (NODE_OPTIONS=--require this file): SIGUSR2 terminates every worker thread the
 * main thread started — in trunkwise with --engine-thread on, that is the SIP engine's thread — so a
 * test can show what the process does when that thread dies. Nothing in src/ knows about it.
 * Node's own threads are left alone: under tsx the ESM loader's hooks run on an InternalWorker whose
 * exit ends the process (exit 1, no log line) — terminating it would pass for the engine's death.
 */
'use strict';
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  const workers = new Set();
  process.on('worker', (w) => {
    if (w.constructor.name === 'InternalWorker') return;
    workers.add(w);
    w.once('exit', () => workers.delete(w));
  });
  process.on('SIGUSR2', () => {
    for (const w of workers) void w.terminate();
  });
}
