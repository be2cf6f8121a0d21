/**
 * What it costs the main thread to send one UDP datagram when the socket lives on the ingress thread
 * (src/engine/transport/udp-thread.ts): by message to that thread, or directly on a duplicate of its
 * descriptor (direct-send.ts). Usage: npx tsx bench/handoff.bench.ts   (~15 s; writes
 * bench/results/handoff.md and .json)
 *
 * Method (printed and written with the results): a worker thread binds a UDP socket on 127.0.0.1 and
 * reports its descriptor; the main thread sends N datagrams of 600 bytes, one at a time, and
 * busy-waits GAP µs between them — so the ingress thread has gone back to sleep, as it has between
 * the messages of calls arriving a few hundred µs apart. Only the send call itself is timed
 * (process.hrtime.bigint around it); the mean per send is reported. Two destinations: a receiver
 * asleep on another thread — on loopback the kernel wakes it inside sendto, so the sender pays that
 * wake-up, as the engine does toward SIPp in the benchmarks — and a port nobody listens on, which,
 * like a send out of a network interface, wakes no one.
 */
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DirectSender } from '../src/engine/transport/direct-send';
import { machineInfo, machineMarkdown } from './lib/machine';
import { say } from './lib/log';

const N = 4000;
const GAPS_US = [0, 50, 300];
const PAYLOAD = Buffer.alloc(600, 0x41);

const WORKER = `
const { parentPort } = require('node:worker_threads');
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', () => undefined);
parentPort.on('message', (m) => { for (const it of m.items) s.send(it.data, it.port, it.address); });
s.bind(0, '127.0.0.1', () => {
  const sym = Object.getOwnPropertySymbols(s).find((x) => x.description === 'state symbol');
  parentPort.postMessage({ fd: s[sym].handle.fd });
});`;

/** A receiver on its own thread, so that reading never competes with the timed sends. */
const RECEIVER = `
const { parentPort } = require('node:worker_threads');
const s = require('node:dgram').createSocket('udp4');
s.on('message', () => undefined);
s.bind(0, '127.0.0.1', () => parentPort.postMessage({ port: s.address().port }));`;

const spin = (us: number): void => {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end);
};

function timed(send: () => void, gapUs: number): number {
  let ns = 0n;
  for (let i = 0; i < N; i++) {
    const a = process.hrtime.bigint();
    send();
    ns += process.hrtime.bigint() - a;
    spin(gapUs);
  }
  return Math.round(Number(ns) / N / 10) / 100;
}

interface Row { to: 'receiver asleep' | 'no receiver'; gapUs: number; byMessageUs: number; directUs: number }

export async function runHandoffBench(outDir = path.join(__dirname, 'results')): Promise<Row[]> {
  const worker = new Worker(WORKER, { eval: true });
  const receiver = new Worker(RECEIVER, { eval: true });
  const closed = dgram.createSocket('udp4');
  try {
    const [{ fd }, { port }] = await Promise.all([
      new Promise<{ fd: number }>((r) => worker.once('message', r)),
      new Promise<{ port: number }>((r) => receiver.once('message', r)),
    ]);
    // A port that was just free: bound, read, closed.
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const nobody = closed.address().port;
    await new Promise<void>((r) => closed.close(r));
    const direct = DirectSender.open(fd, 4);
    if (!direct) throw new Error(`direct sends unavailable: ${DirectSender.unavailable() ?? 'dup failed'}`);
    const rows: Row[] = [];
    for (const [to, dest] of [['receiver asleep', port], ['no receiver', nobody]] as const) {
      for (const gapUs of GAPS_US) {
        const byMessageUs = timed(() => worker.postMessage({ items: [{ data: PAYLOAD, port: dest, address: '127.0.0.1' }] }), gapUs);
        const directUs = timed(() => {
          if (direct.send(PAYLOAD, dest, '127.0.0.1') !== 'sent') throw new Error('direct send failed');
        }, gapUs);
        rows.push({ to, gapUs, byMessageUs, directUs });
      }
    }
    direct.close();
    const method = `a worker thread owns a UDP socket on 127.0.0.1; the main thread sends ${N} datagrams of ${PAYLOAD.length} bytes per case, busy-waiting the gap between sends; only the send call is timed (mean µs per send)`;
    const m = machineInfo();
    const md = [
      '# Main thread cost of one UDP send with the socket on the ingress thread',
      '',
      'Written by `npx tsx bench/handoff.bench.ts` — do not edit by hand.',
      '',
      `Method: ${method}. "by message" = postMessage to the socket's thread (how the engine sent before direct-send.ts: the thread then sends, and wakes the receiver, on its own time); "direct" = sendto(2) on the main thread's dup(2) of the same socket (direct-send.ts). "receiver asleep": a socket read by another thread, which loopback wakes inside sendto; "no receiver": a closed port, which wakes no one (as a send out of a network interface).`,
      '',
      machineMarkdown(m),
      '',
      '| destination | gap between sends µs | by message µs/send | direct µs/send |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.to} | ${r.gapUs} | ${r.byMessageUs} | ${r.directUs} |`),
      '',
    ].join('\n');
    writeFileSync(path.join(outDir, 'handoff.md'), md);
    writeFileSync(path.join(outDir, 'handoff.json'), JSON.stringify({ method, machine: m, rows }, null, 1));
    say(md);
    return rows;
  } finally {
    await worker.terminate();
    await receiver.terminate();
  }
}

if (require.main === module) void runHandoffBench();
