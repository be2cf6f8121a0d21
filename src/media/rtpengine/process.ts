/**
 * An rtpengine daemon as a child process, for tests and for `npm start` when a route anchors media
 * with rtpengine and no external daemon is configured. Userspace forwarding only (no kernel module),
 * loopback or the given interface, its own ng port and RTP port range, a temporary pidfile, stderr
 * kept (last 64 KiB) to say why it failed. `start` resolves once it answers an ng `ping`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RtpengineError } from './errors';
import { NgClient } from './ng-client';

export interface RtpengineProcessOptions {
  /** Path of the binary (default `rtpengine` on PATH). */
  binary?: string;
  /** Address for RTP and ng control (default 127.0.0.1). */
  address?: string;
  /** ng control port (default: a free UDP port). */
  ngPort?: number;
  /** RTP port range (default: a random 200-port block in 20000–31999, below Linux's ephemeral range). */
  portMin?: number;
  portMax?: number;
  /** Seconds without RTP before rtpengine drops a call (its --timeout; default 60). */
  rtpTimeoutS?: number;
  /** rtpengine log level 1–7 (default 5). */
  logLevel?: number;
  /** How long to wait for the first pong, ms (default 5000). */
  startTimeoutMs?: number;
  /** Extra command-line options, appended last. */
  extraArgs?: string[];
}

export interface RtpengineProcess {
  readonly host: string;
  readonly ngPort: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly pid: number;
  /** The last 64 KiB rtpengine wrote to stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3000); removes the temporary directory. */
  stop(graceMs?: number): Promise<void>;
}

const STDERR_KEEP = 64 * 1024;

/** A UDP port free at the moment of asking on `address`. */
export function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The command line, separate so it can be read (and unit-tested) without starting anything. */
export function rtpengineArgs(o: { address: string; ngPort: number; portMin: number; portMax: number; pidfile: string; rtpTimeoutS: number; logLevel: number }): string[] {
  return [
    // Never read /etc/rtpengine/rtpengine.conf: the Debian default adds listeners (http, cli) and
    // kernel table 0, which would clash between instances and with a system daemon.
    '--config-file=none',
    `--interface=${o.address}`,
    `--listen-ng=${o.address}:${o.ngPort}`,
    // Userspace forwarding: table -1 means "no kernel module" (and no --no-fallback, which would
    // refuse to start without it).
    '--table=-1',
    '--foreground', '--log-stderr', `--log-level=${o.logLevel}`,
    `--pidfile=${o.pidfile}`,
    `--port-min=${o.portMin}`, `--port-max=${o.portMax}`,
    // A deleted call is gone at once (default keeps it 30 s), so `list` / `query` reflect close().
    '--delete-delay=0',
    `--timeout=${o.rtpTimeoutS}`, `--silent-timeout=${o.rtpTimeoutS}`,
    // MOS (and with it the per-SSRC RTCP loss figures in `query`) from RR loss and jitter alone:
    // the default MOS-CQ also needs a round-trip time on both legs, so without it a call whose
    // endpoints send RRs would still report no loss.
    '--mos=LQ',
    '--num-threads=2',
  ];
}

export async function startRtpengine(opts: RtpengineProcessOptions = {}): Promise<RtpengineProcess> {
  const address = opts.address ?? '127.0.0.1';
  const ngPort = opts.ngPort ?? await freeUdpPort(address);
  const portMin = opts.portMin ?? 20000 + 200 * Math.floor(Math.random() * 60);
  const portMax = opts.portMax ?? portMin + 199;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-rtpengine-'));
  const args = [...rtpengineArgs({
    address, ngPort, portMin, portMax, pidfile: path.join(dir, 'rtpengine.pid'),
    rtpTimeoutS: opts.rtpTimeoutS ?? 60, logLevel: opts.logLevel ?? 5,
  }), ...(opts.extraArgs ?? [])];
  const binary = opts.binary ?? 'rtpengine';
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `could not be run (${binary}): ${err.message}`;
      resolve();
    });
  });
  // If this process ends without stop() (a crash, process.exit), the daemon must not outlive it.
  // (A SIGKILL of this process cannot be caught: the pidfile's directory names the orphan.)
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanup = (): void => {
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  const stop = async (graceMs = 3000): Promise<void> => {
    if (exited === undefined && child.pid !== undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(killer);
    }
    cleanup();
  };

  try {
    await waitForPong(address, ngPort, opts.startTimeoutMs ?? 5000, () => exited);
  } catch (err) {
    await stop(500);
    const why = (err as Error).message;
    throw new RtpengineError('E_RTPENGINE_START', `${why}; ${binary} ${args.join(' ')}\n${stderr.slice(-4000)}`);
  }
  return {
    host: address, ngPort, portMin, portMax, pid: child.pid!,
    stderr: () => stderr,
    stop,
  };
}

async function waitForPong(host: string, port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const ng = new NgClient({ host, port, timeoutMs: 250, backoffMs: 0 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const why = exited();
      if (why) throw new Error(`rtpengine ${why}`);
      if (Date.now() > deadline) throw new Error(`rtpengine did not answer ping on ${host}:${port} within ${timeoutMs} ms`);
      try {
        const r = await ng.command('ping');
        if (r.result === 'pong') return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    ng.close();
  }
}
