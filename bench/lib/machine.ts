/** What machine a benchmark ran on: printed and written with every result. */
import os from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  date: string;
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

export function machineMarkdown(m: MachineInfo): string {
  return `| machine | |\n|---|---|\n| CPU | ${m.cpuModel} × ${m.cores} |\n| memory | ${m.memoryGiB} GiB |\n| kernel | ${m.kernel} |\n| node | ${m.node} |\n| date | ${m.date} |\n`;
}

/** CPU time (ns) a process has run, summed over its threads, from /proc/PID/task/TID/schedstat. */
export function cpuNs(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSafe(`/proc/${pid}/task`)) {
      const s = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      total += Number(s[0] ?? 0);
    }
  } catch {
    return total;
  }
  return total;
}

export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

function readdirSafe(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}
