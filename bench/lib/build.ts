/**
 * The compiled tree the Docker image runs (`npm run build`), built once per benchmark run into a temp
 * dir, with the repository's node_modules linked beside it so the compiled modules resolve their
 * packages. Run as the image does: node --enable-source-maps BUILD/bin/trunkwise.js.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** How the benchmark runs trunkwise: the compiled build (as in production) or the sources under tsx. */
export type TrunkwiseBuild = 'dist' | 'sources';

export interface BuiltTree {
  dir: string;
  remove(): void;
}

export function buildOnce(): BuiltTree {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-build-'));
  try {
    execFileSync('bash', [path.join(ROOT, 'scripts', 'build.sh'), '--outDir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
