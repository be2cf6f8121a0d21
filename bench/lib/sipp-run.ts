/** Running SIPp for benchmarks: every instance bounded in time, counters read from its -trace_stat CSV. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, stop } from './procs';
import { readSippStats, type SippStats } from './sipp-stats';

export const SCENARIOS = path.join(__dirname, '..', 'scenarios');

export interface SippCounts {
  successful: number;
  failed: number;
  retransmissions: number;
  pid: number;
}

/** SIPp's built-in `uas` (bench/engine.bench.ts); its working folder is removed when it exits. */
export function startSippUas(port: number, transport: 'u1' | 't1'): ChildProcess {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'tw-uas-'));
  const child = start(`sipp uas :${port}`, 'sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-t', transport, '-nostdin', '-max_socket', '5000'], { cwd });
  child.once('exit', () => rmSync(cwd, { recursive: true, force: true }));
  return child;
}

/** SIPp's built-in `uac` (bench/engine.bench.ts): `calls` calls at `rate` cps, `holdMs` hold, stopped after `timeoutMs`. */
export async function runSippUac(remote: string, localPort: number, transport: 'u1' | 't1', rate: number, calls: number, holdMs: number, timeoutMs: number,
  onPid?: (pid: number) => void): Promise<SippCounts> {
  const uac = startUac({ scenario: 'uac', remote, localPort, rate, calls, holdMs, boundMs: timeoutMs, transport });
  if (uac.pid) onPid?.(uac.pid);
  const s = await uac.done;
  return { successful: s.successful, failed: s.failed, retransmissions: s.retransmissions, pid: uac.pid };
}

export interface UacOptions {
  /** A file in bench/scenarios/, or a SIPp built-in scenario name ('uac'). */
  scenario: string;
  remote: string;
  localPort: number;
  rate: number;
  calls: number;
  holdMs: number;
  /** Hard bound: SIGUSR1 (stop placing calls, finish), then SIGKILL 10 s later. */
  boundMs: number;
  /** Max calls in progress at once (-l); default rate × 6. */
  limit?: number;
  /** A call waiting longer than this for its next message fails (-recv_timeout). */
  recvTimeoutMs?: number;
  transport?: 'u1' | 't1';
}

export interface UacRun {
  pid: number;
  dir: string;
  /** Counters so far (the CSV is rewritten every second). */
  progress(): SippStats;
  done: Promise<SippStats & { wallMs: number; bounded: boolean }>;
}

export function startUac(o: UacOptions): UacRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-uac-'));
  const scenario = o.scenario.endsWith('.xml') ? ['-sf', path.join(SCENARIOS, o.scenario)] : ['-sn', o.scenario];
  const args = [...scenario, '-i', '127.0.0.1', '-p', String(o.localPort), '-t', o.transport ?? 'u1', o.remote, '-r', String(o.rate), '-m', String(o.calls),
    '-d', String(o.holdMs), '-l', String(o.limit ?? Math.max(100, o.rate * 6)), '-nostdin', '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-max_socket', '5000'];
  if (o.recvTimeoutMs) args.push('-recv_timeout', String(o.recvTimeoutMs));
  const t0 = Date.now();
  const child = start(`sipp uac → ${o.remote}`, 'sipp', args, { cwd: dir });
  let bounded = false;
  const done = new Promise<SippStats & { wallMs: number; bounded: boolean }>((resolve) => {
    const timer = setTimeout(() => {
      bounded = true;
      child.kill('SIGUSR1');
      setTimeout(() => void stop(child, 0, 'SIGKILL'), 10_000).unref();
    }, o.boundMs);
    child.on('exit', () => {
      clearTimeout(timer);
      // SIPp writes its last statistics line on exit; give the file system a moment.
      setTimeout(() => {
        const stats = readSippStats(dir);
        rmSync(dir, { recursive: true, force: true });
        resolve({ ...stats, wallMs: Date.now() - t0, bounded });
      }, 100);
    });
  });
  return { pid: child.pid ?? 0, dir, progress: () => readSippStats(dir), done };
}
