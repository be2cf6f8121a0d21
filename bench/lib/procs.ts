/**
 * Every process the benchmark starts is registered here and ended on the way out (normal end,
 * error, Ctrl-C), by its own pid — or its own process group when it forks workers (Kamailio).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

interface Tracked {
  child: ChildProcess;
  name: string;
  group: boolean;
}

const tracked = new Set<Tracked>();

export function start(name: string, cmd: string, args: string[], opts: SpawnOptions & { group?: boolean } = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore', ...opts, detached: opts.group ?? false });
  const t: Tracked = { child, name, group: opts.group ?? false };
  tracked.add(t);
  child.on('exit', () => tracked.delete(t));
  child.on('error', (err) => {
    tracked.delete(t);
    console.error(`${name}: ${err.message}`);
  });
  return child;
}

function signal(t: Tracked, sig: NodeJS.Signals): void {
  const pid = t.child.pid;
  if (!pid || t.child.exitCode !== null || t.child.signalCode !== null) return;
  try {
    process.kill(t.group ? -pid : pid, sig);
  } catch {
    /* already gone */
  }
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM (or `sig`), then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stop(child: ChildProcess, graceMs = 5000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const t = [...tracked].find((x) => x.child === child);
  if (!t || exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => signal(t, 'SIGKILL'), graceMs);
    const hard = setTimeout(resolve, graceMs + 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      clearTimeout(hard);
      resolve();
    });
    signal(t, 'SIGCONT'); // a stopped process (failover benchmark) must run to act on SIGTERM
    signal(t, sig);
  });
}

export function killAll(): void {
  for (const t of tracked) {
    signal(t, 'SIGCONT');
    signal(t, 'SIGKILL');
  }
  tracked.clear();
}

export function stillRunning(): string[] {
  return [...tracked].filter((t) => !exited(t.child)).map((t) => `${t.name} (${t.child.pid})`);
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
