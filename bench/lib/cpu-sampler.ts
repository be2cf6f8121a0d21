/**
 * Samples CPU time (schedstat, all threads) of groups of processes every `everyMs`, remembering the
 * last reading of each pid so a process that exits (SIPp at the end of a step) keeps its CPU. CPU
 * over any interval of the run is then read off the series; memory (PSS) is sampled once a second.
 */
import { cpuNs, pssMiB } from './machine';

interface Group {
  pids: () => number[];
  last: Map<number, number>;
  series: Array<{ t: number; ns: number }>;
  peakPssMiB: number;
  trackMemory: boolean;
}

export class CpuSampler {
  private readonly groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(private readonly everyMs = 250) {}

  add(name: string, pids: () => number[], trackMemory = false): void {
    this.groups.set(name, { pids, last: new Map(), series: [], peakPssMiB: 0, trackMemory });
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  sample(): void {
    const t = Date.now();
    const memory = this.ticks++ % Math.max(1, Math.round(1000 / this.everyMs)) === 0;
    for (const g of this.groups.values()) {
      const pids = g.pids();
      for (const p of pids) {
        const ns = cpuNs(p);
        if (ns > 0) g.last.set(p, ns);
      }
      let total = 0;
      for (const ns of g.last.values()) total += ns;
      g.series.push({ t, ns: total });
      if (g.trackMemory && memory) g.peakPssMiB = Math.max(g.peakPssMiB, pssMiB(pids));
    }
  }

  /** CPU ns the group used between wall-clock times t0 and t1 (ms), from the nearest samples. */
  cpuNsBetween(name: string, t0: number, t1: number): { ns: number; wallMs: number } {
    const s = this.groups.get(name)?.series ?? [];
    if (s.length < 2) return { ns: 0, wallMs: 0 };
    const at = (t: number): { t: number; ns: number } => s.reduce((best, x) => (Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best), s[0]!);
    const a = at(t0);
    const b = at(t1);
    return { ns: b.ns - a.ns, wallMs: b.t - a.t };
  }

  /** CPU over the interval as % of one core. */
  cpuPct(name: string, t0: number, t1: number): number {
    const { ns, wallMs } = this.cpuNsBetween(name, t0, t1);
    return wallMs > 0 ? Math.round((ns / (wallMs * 1e6)) * 1000) / 10 : 0;
  }

  peakPssMiB(name: string): number {
    return this.groups.get(name)?.peakPssMiB ?? 0;
  }
}
