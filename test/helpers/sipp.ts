/**
 * Real SIPp for the integration tests: run a scenario to completion (UAC) or keep one running as a
 * far end (UAS). Counts come from SIPp's own -trace_stat CSV. Every child is killed on teardown and
 * on process exit; every run has a hard time limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

export interface SippOptions {
  scenario: string;
  remote?: string;
  localPort?: number;
  localIp?: string;
  transport?: SippTransport;
  rate?: number;
  calls?: number;
  concurrent?: number;
  /** -d: pause length in ms for <pause/> without a value. */
  duration?: number;
  /** -lost: percentage of packets SIPp drops on purpose. */
  lost?: number;
  service?: string;
  extraArgs?: string[];
  timeoutMs: number;
  /** runSipp: aborting it ends the run early as the time limit does (no new calls; calls up finish). */
  signal?: AbortSignal;
}

export interface SippResult {
  exitCode: number | null;
  successful: number;
  failed: number;
  retransmissions: number;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** SIPp's working directory (stats CSV, -trace_err log). */
  dir: string;
}

/** The tail of SIPp's -trace_err log in `dir`: why calls failed, in SIPp's words. */
export function sippErrors(dir: string, maxChars = 4000): string {
  try {
    const file = readdirSync(dir).find((f) => f.endsWith('_errors.log'));
    return file ? readFileSync(path.join(dir, file), 'utf8').slice(-maxChars) : '';
  } catch {
    return '';
  }
}

const children = new Set<ChildProcess>();
/** SIPp working folders: kept while the test process runs (sippErrors reads them), removed at its exit. */
const dirs = new Set<string>();

export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
process.on('exit', () => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
});

function args(o: SippOptions, localPort: number): string[] {
  const a = ['-sf', o.scenario, '-i', o.localIp ?? '127.0.0.1', '-p', String(localPort), '-t', o.transport ?? 'u1', '-nostdin',
    '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-trace_err', '-max_socket', '2000'];
  if (o.rate !== undefined) a.push('-r', String(o.rate));
  if (o.calls !== undefined) a.push('-m', String(o.calls));
  if (o.concurrent !== undefined) a.push('-l', String(o.concurrent));
  if (o.duration !== undefined) a.push('-d', String(o.duration));
  if (o.lost !== undefined) a.push('-lost', String(o.lost));
  if (o.service !== undefined) a.push('-s', o.service);
  a.push(...(o.extraArgs ?? []));
  if (o.remote) a.push(o.remote);
  return a;
}

function launch(o: SippOptions, localPort: number): { child: ChildProcess; dir: string; out: { stdout: string; stderr: string }; started: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sipp-'));
  dirs.add(dir);
  const child = spawn('sipp', args(o, localPort), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => void (out.stdout = (out.stdout + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => void (out.stderr = (out.stderr + d.toString()).slice(-20_000)));
  return { child, dir, out, started: Date.now() };
}

/** Counters from the -trace_stat CSV SIPp wrote in `dir` (its last line is the final tally). */
export function readSippCounts(dir: string): Pick<SippResult, 'successful' | 'failed' | 'retransmissions'> {
  try {
    const file = readdirSync(dir).find((f) => f.endsWith('.csv')) ?? 'stats.csv';
    const lines = readFileSync(path.join(dir, file), 'utf8').trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines[lines.length - 1]!.split(';');
    const col = (name: string): number => Number(last[head.indexOf(name)] ?? 0);
    return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), retransmissions: col('Retransmissions(C)') };
  } catch {
    return { successful: 0, failed: 0, retransmissions: 0 };
  }
}

function finished(l: ReturnType<typeof launch>): Promise<SippResult> {
  return new Promise((resolve) => {
    l.child.on('exit', (code) => {
      children.delete(l.child);
      // SIPp writes its last statistics line on exit; give the file system a moment.
      setTimeout(() => resolve({ exitCode: code, ...readSippCounts(l.dir), durationMs: Date.now() - l.started, ...l.out, dir: l.dir }), 50);
    });
  });
}

/** Run a UAC scenario to completion (or the time limit, after which SIPp is told to quit). */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  const localPort = o.localPort ?? (await freePorts(1))[0]!;
  const l = launch(o, localPort);
  const done = finished(l);
  const quit = (): void => {
    l.child.kill('SIGUSR1');
    setTimeout(() => l.child.kill('SIGKILL'), 3000).unref();
  };
  const timer = setTimeout(quit, o.timeoutMs);
  o.signal?.addEventListener('abort', quit, { once: true });
  const r = await done;
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', quit);
  return r;
}

export interface SippServer {
  port: number;
  /** SIPp's working directory (its -trace_err log: see sippErrors). */
  dir: string;
  /** Send SIPp a signal: SIGSTOP silences it (INVITEs and OPTIONS alike), SIGCONT brings it back. */
  signal(sig: NodeJS.Signals): boolean;
  stop(): Promise<SippResult>;
}

/** Start a UAS scenario that serves calls until stopped (bounded by timeoutMs). */
export async function startSippServer(o: SippOptions): Promise<SippServer> {
  const port = o.localPort ?? (await freePorts(1))[0]!;
  const l = launch(o, port);
  const done = finished(l);
  const timer = setTimeout(() => l.child.kill('SIGKILL'), o.timeoutMs);
  await waitListening(port, o.transport ?? 'u1');
  return {
    port,
    dir: l.dir,
    signal: (sig) => l.child.exitCode === null && l.child.kill(sig),
    stop: async () => {
      clearTimeout(timer);
      l.child.kill('SIGTERM');
      setTimeout(() => l.child.kill('SIGKILL'), 3000).unref();
      return done;
    },
  };
}

/**
 * Ports free for both UDP and TCP on 127.0.0.1, drawn at random from 10000–19999: below the kernel's ephemeral range
 * (ip_local_port_range, 32768–60999 by default). A port the kernel hands out for bind(0) comes from
 * that range, where any outgoing socket (SIPp's, srf's, Chromium's) — in this process or in the test
 * lane running beside it — may take it between this check and the bind that uses it (seen: trunkwise
 * "EADDRINUSE 127.0.0.1:42999" in a two-lane run). Below it only an explicit bind can, and the RTP pools (rtpengine 20000–31999, the IVR simulator 26000–29999, the relay 40000+) stay clear of it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 1000) throw new Error('freePorts: no free port in 10000–19999 after 1000 tries');
    const p = 10_000 + Math.floor(Math.random() * 10_000);
    if (out.includes(p)) continue;
    const tcpFree = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!tcpFree) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(p, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) out.push(p);
  }
  return out;
}

/** Wait until SIPp has bound its port (UDP: bind fails; TCP: connect succeeds). */
async function waitListening(port: number, transport: SippTransport): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = transport.startsWith('t')
      ? await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      })
      : await new Promise<boolean>((resolve) => {
        const u = dgram.createSocket('udp4');
        u.once('error', () => resolve(true));
        u.bind(port, '127.0.0.1', () => u.close(() => resolve(false)));
      });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`SIPp did not start listening on ${port}`);
}
