/** Running SIPp for benchmarks: bounded in time, counters read from its -trace_stat CSV. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readSippCounts } from '../../test/helpers/sipp';
import os from 'node:os';
import path from 'node:path';

export interface SippCounts {
  successful: number;
  failed: number;
  retransmissions: number;
  pid: number;
}

export function startSippUas(port: number, transport: 'u1' | 't1'): ChildProcess {
  return spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-t', transport, '-nostdin', '-max_socket', '5000'], {
    stdio: 'ignore', cwd: mkdtempSync(path.join(os.tmpdir(), 'tw-uas-')),
  });
}

/** A UAC run of `calls` calls at `rate` cps with `holdMs` hold; killed after `timeoutMs`. */
export function runSippUac(remote: string, localPort: number, transport: 'u1' | 't1', rate: number, calls: number, holdMs: number, timeoutMs: number,
  onPid?: (pid: number) => void): Promise<SippCounts> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-uac-'));
  const args = ['-sn', 'uac', '-i', '127.0.0.1', '-p', String(localPort), '-t', transport, remote, '-r', String(rate), '-m', String(calls),
    '-d', String(holdMs), '-l', String(Math.max(100, rate * 4)), '-nostdin', '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-max_socket', '5000'];
  return new Promise((resolve) => {
    const child = spawn('sipp', args, { stdio: 'ignore', cwd: dir });
    if (child.pid) onPid?.(child.pid);
    // SIGUSR1 asks SIPp to stop placing calls and finish; SIGKILL if it still has not exited.
    const timer = setTimeout(() => {
      child.kill('SIGUSR1');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ ...readSippCounts(dir), pid: child.pid ?? 0 });
    });
  });
}
