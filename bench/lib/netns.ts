/**
 * Runs a benchmark inside a network namespace of its own, whose loopback steers its receive work to
 * chosen cores (RPS), so a sender's datagrams are received in softirq on those cores — as a NIC's are
 * — instead of inside the sender's own send call, as on a plain loopback. The namespace is created
 * for the run and deleted after it, with anything still running inside; the host's interfaces and
 * rules are not touched (each namespace has its own lo).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** True when this process can create namespaces (root, `ip` present). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p));
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Every PID inside the namespace is killed, then the namespace deleted; errors are only reported. */
function remove(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ip('netns', 'del', name);
  } catch (err) {
    console.error(`netns ${name}: could not be removed: ${(err as Error).message}`);
  }
}

/**
 * Runs `argv` inside a fresh namespace `name` whose lo is up and steers received packets to the CPUs
 * in `rpsMask` (hex, as /sys/class/net/lo/queues/rx-0/rps_cpus takes it). Resolves with the exit code.
 * SIGINT/SIGTERM are passed on to the child; the namespace goes in every case.
 */
export async function runInNetns(name: string, rpsMask: string, argv: readonly string[]): Promise<number> {
  ip('netns', 'add', name);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    // `ip netns exec` mounts the namespace's own /sys, where lo is the namespace's loopback.
    execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', `echo ${rpsMask} > /sys/class/net/lo/queues/rx-0/rps_cpus`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const child = spawn('ip', ['netns', 'exec', name, ...argv], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return code;
  } finally {
    remove(name);
  }
}

/** The RPS mask of every core but the last (the one a pinned sender gets), as hex; '1' on one core. */
export function allButLastCoreMask(cores: number): string {
  return Math.max(1, 2 ** Math.max(1, cores - 1) - 1).toString(16);
}
