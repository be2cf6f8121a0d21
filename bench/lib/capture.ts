/**
 * Packet capture on loopback with dumpcap (from the tshark package), in classic pcap format, with a
 * kernel BPF filter so only the packets the analysis needs are copied to user space.
 */
import type { ChildProcess } from 'node:child_process';
import { start, stop } from './procs';

export interface CaptureStats {
  received: number;
  dropped: number;
}

export interface Capture {
  pid: number;
  file: string;
  stop(): Promise<CaptureStats>;
}

/** BPF: the first 4 bytes of the UDP payload (a SIP start line) equal `word` ("INVI", "SIP/"…). */
export function payloadStarts(word: string): string {
  return `udp[8:4] = 0x${Buffer.from(word.slice(0, 4), 'latin1').toString('hex')}`;
}

export async function startCapture(file: string, filter: string): Promise<Capture> {
  const child: ChildProcess = start('dumpcap', 'dumpcap', ['-i', 'lo', '-P', '-q', '-B', '64', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  // dumpcap says "Capturing on 'Loopback: lo'" once it has opened the interface.
  const until = Date.now() + 10_000;
  while (!/Capturing on/.test(err)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`dumpcap did not start: ${err.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The message comes a little before packets are really copied (the first ~100 ms were missed): wait.
  await new Promise((r) => setTimeout(r, 700));
  return {
    pid: child.pid ?? 0,
    file,
    stop: async () => {
      await new Promise((r) => setTimeout(r, 200)); // let the last packets reach the file
      await stop(child, 5000, 'SIGINT');
      const m = /received\/dropped on interface '[^']*': (\d+)\/(\d+)/.exec(err);
      return { received: Number(m?.[1] ?? 0), dropped: Number(m?.[2] ?? 0) };
    },
  };
}
