/**
 * A real redis-server for a test: on a free loopback port, in a temp directory, no persistence
 * (a restart starts empty, as a replaced Redis would). `stop()` kills it and checks the process is
 * gone; `restart()` starts it again on the same port. Killed on test-process exit too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './sipp';
import { alive } from './procs';
import { redisAnswers } from '../../src/workers/local-redis';

export interface RedisServer {
  port: number;
  url: string;
  /** PID of the running server (undefined while stopped). */
  pid(): number | undefined;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops and removes the temp dir; true when no redis-server process of ours is left. */
  close(): Promise<boolean>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});


export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-redis-'));
  const [port] = await freePorts(1);
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    live.add(c);
    c.on('exit', () => live.delete(c));
    child = c;
    const until = Date.now() + 10_000;
    while (!(await redisAnswers(port!))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`redis-server did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port: port!,
    url: `redis://127.0.0.1:${port}/0`,
    pid: () => child?.pid,
    stop,
    restart: start,
    close: async () => {
      const pid = child?.pid;
      await stop();
      rmSync(dir, { recursive: true, force: true });
      return pid === undefined || !alive(pid);
    },
  };
}
