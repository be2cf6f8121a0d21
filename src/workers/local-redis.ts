/**
 * A redis-server of our own for `--workers N` without `--redis`: loopback only, a free port, a temp
 * directory, no persistence (it lives and dies with this trunkwise). The Debian package
 * `redis-server` comes from `scripts/setup.sh redis` (npm start installs it when --workers > 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface LocalRedis {
  readonly url: string;
  /** PID of the watchdog shell whose child the redis-server is. */
  readonly pid: number;
  /** Its working directory (a temp folder the watchdog removes when the server ends). */
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * redis-server under a small shell that ends it when our end of its stdin closes — so a trunkwise
 * killed outright (SIGKILL, OOM) does not leave its redis-server behind; SIGTERM ends both too.
 * The shell's first argument is the server's temp folder, which the shell removes once the server
 * has ended: after a SIGKILL nobody else is left to do it.
 */
const WATCHDOG = `d=$1; shift
command -v redis-server >/dev/null || { echo 'redis-server: not found' >&2; rm -rf "$d"; exit 127; }
exec 3<&0
redis-server "$@" & r=$!
cat <&3 >/dev/null & c=$!
trap 'kill $r $c 2>/dev/null; wait $r; rm -rf "$d"; exit 0' TERM INT
wait $c
kill $r 2>/dev/null
wait $r
rm -rf "$d"`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server on 127.0.0.1:`port` answers PING with +PONG (within 500 ms). */
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n')) return;
      s.destroy();
      resolve(buf.startsWith('+PONG'));
    });
    s.on('error', () => resolve(false));
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
  });
}

function exited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** Starts redis-server and resolves once it answers PING (rejects after `waitMs`). */
export async function startLocalRedis(waitMs = 10_000): Promise<LocalRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trunkwise-redis-'));
  const port = await freePort();
  let stderr = '';
  const child = spawn('sh', ['-c', WATCHDOG, 'trunkwise-redis', dir, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stdin?.on('error', () => undefined); // the watchdog's end: never written, only held open
  child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const stop = async (): Promise<void> => {
    if (!exited(child) && child.pid !== undefined) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(hard);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + waitMs;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server could not be started (${failed.message}): install it with "bash scripts/setup.sh redis", or give --redis`);
    }
    if (child.exitCode === 127) {
      await stop();
      throw new Error('redis-server is not installed: install it with "bash scripts/setup.sh redis", or give --redis');
    }
    if (exited(child) || Date.now() > until) {
      await stop();
      throw new Error(`redis-server did not answer on 127.0.0.1:${port}: ${stderr.trim() || 'no output'}`);
    }
    if (await redisAnswers(port)) break;
  }
  return { url: `redis://127.0.0.1:${port}/0`, pid: child.pid!, dir, stop };
}
