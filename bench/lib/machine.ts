/** What machine a benchmark ran on (printed and written with every result), and per-process CPU / memory. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  date: string;
  tools?: Record<string, string>;
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Versions of the external programs a run used (first line of their version output). */
export function toolVersions(): Record<string, string> {
  const v = (cmd: string, args: string[], re: RegExp): string => {
    try {
      const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
      return re.exec(out)?.[1] ?? 'unknown';
    } catch (err) {
      const out = String((err as { stdout?: string }).stdout ?? '');
      return re.exec(out)?.[1] ?? 'not installed';
    }
  };
  return {
    sipp: v('sipp', ['-v'], /SIPp (v[\w.-]+)/),
    kamailio: v('kamailio', ['-v'], /version: kamailio ([\w.]+)/),
    dumpcap: v('dumpcap', ['-v'], /Dumpcap \(Wireshark\) ([\w.]+)/),
  };
}

export function machineMarkdown(m: MachineInfo): string {
  const rows = [
    `| CPU | ${m.cpuModel} × ${m.cores} |`, `| memory | ${m.memoryGiB} GiB |`, `| kernel | ${m.kernel} |`, `| node | ${m.node} |`,
    ...Object.entries(m.tools ?? {}).map(([k, v]) => `| ${k} | ${v} |`), `| date | ${m.date} |`,
  ];
  return `| machine | |\n|---|---|\n${rows.join('\n')}\n`;
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel} × ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, node ${m.node}`
    + (m.tools ? `, ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(', ')}` : '');
}

/**
 * CPU time (ns) a process has run, summed over its threads, from /proc/PID/task/TID/schedstat
 * (nanosecond run time; /proc/PID/stat's tick counters undercount on these machines).
 */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSafe(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0] ?? 0);
    } catch {
      /* thread ended between readdir and read */
    }
  }
  return total;
}

export function cpuNsOf(pids: readonly number[]): number {
  return pids.reduce((n, p) => n + cpuNs(p), 0);
}

export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size summed over processes (MiB): shared memory counted once across them, so
 * Kamailio's workers (which all map the same shm pool) add up honestly. Falls back to RSS.
 */
export function pssMiB(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kb += m ? Number(m[1]) : rssMiB(pid) * 1024;
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 1024);
}

/** `pid` and every process descended from it (Kamailio forks its workers from the main process). */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSafe('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      /* gone */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length && i < 10_000; i++) for (const [p, pp] of parent) if (pp === out[i] && !out.includes(p)) out.push(p);
  return out.filter((p) => parent.has(p));
}

function readdirSafe(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}
