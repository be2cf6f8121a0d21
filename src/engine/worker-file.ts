/**
 * Starts one of the engine's worker threads from its own file: the .js next to the caller once
 * compiled; under tsx (development, tests) the .ts source, loaded through tsx's CommonJS hook
 * (loader hooks given with --import do not reach worker threads on node 20).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** `dir` and `ext`: the caller's __dirname and extname(__filename); `base`: the worker file without extension. */
export function startWorkerFile(dir: string, ext: string, base: string, workerData: unknown): Worker {
  const file = path.join(dir, `${base}${ext}`);
  if (!file.endsWith('.ts')) return new Worker(file, { workerData });
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData });
}
