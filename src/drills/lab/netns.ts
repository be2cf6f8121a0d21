/**
 * The lab's namespaces (lab/netns.sh does the work) and processes started inside them. Every process
 * is remembered by PID and stopped by PID; lab/netns.sh down also kills whatever is left in the
 * lab's own namespaces, and nothing outside them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');
const NETNS_SH = path.join(ROOT, 'lab', 'netns.sh');

export const ADDR = { ivr: '10.77.0.1', a: '10.77.0.2', b: '10.77.0.3', car: '10.77.0.4' } as const;
export type Node = keyof typeof ADDR;

export function netns(...args: string[]): void {
  execFileSync('bash', [NETNS_SH, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface LabProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Lines from stdout and stderr, each with the time it arrived. */
  readonly lines: Array<{ at: number; text: string }>;
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startIn(node: Node, name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; keep?: (line: string) => boolean } = {}): LabProcess {
  const child = spawn('ip', ['netns', 'exec', `twlab-${node}`, cmd, ...args], { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<{ at: number; text: string }> = [];
  const keep = opts.keep ?? (() => true);
  for (const s of [child.stdout!, child.stderr!]) {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (keep(text)) lines.push({ at: Date.now(), text });
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name, child, lines, exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resolves when `pred` matches a line of `p` (or rejects after `ms`, or when p exits). */
export function waitLine(p: LabProcess, pred: (text: string) => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (p.lines.some((l) => pred(l.text))) done(resolve);
    }, 100);
    const deadline = setTimeout(() => done(() => reject(new Error(`${p.name}: not ready in ${ms} ms: ${p.lines.slice(-5).map((l) => l.text).join(' | ')}`))), ms);
    void p.exited.then((code) => done(() => reject(new Error(`${p.name} exited (${code}): ${p.lines.slice(-5).map((l) => l.text).join(' | ')}`))));
    function done(f: () => void): void {
      clearInterval(timer);
      clearTimeout(deadline);
      f();
    }
  });
}
