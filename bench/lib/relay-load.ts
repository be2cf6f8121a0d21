/**
 * The RTP load generator for bench/relay.bench.ts, in its own process: per call a caller and a
 * carrier socket on 127.0.0.1 sending PCMU (12-byte header + 160 bytes) to the relay and counting
 * what comes back through it.
 *  - paced: 50 packets/s per direction per call; calls are spread over four 5 ms phases of each
 *    20 ms period (real calls are not phase-aligned), so the relay sees a smooth stream.
 *  - blast: as fast as the generator can, with at most 64 packets queued per socket.
 */
import dgram from 'node:dgram';
import { writeRtpHeader } from '../../src/media/rtp/build';
import { serveRpc } from './relay-ipc';
import type { EndpointPorts, RelayPorts } from './relay-server';

const HOST = '127.0.0.1';

interface Leg { sock: dgram.Socket; to: number; seq: number; ssrc: number; pkt: Buffer }
let legs: Leg[] = [];
let sent = 0;
let received = 0;

function send(l: Leg): void {
  writeRtpHeader(l.pkt, { payloadType: 0, sequence: l.seq & 0xffff, timestamp: (l.seq * 160) >>> 0, ssrc: l.ssrc });
  l.seq++;
  l.sock.send(l.pkt, l.to, HOST);
  sent++;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LoadResult { sent: number; received: number; seconds: number }

serveRpc({
  async setup(args: { calls: number }): Promise<EndpointPorts[]> {
    const out: EndpointPorts[] = [];
    for (let i = 0; i < args.calls; i++) {
      const pair = await Promise.all([0, 1].map(async (k) => {
        const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
        sock.on('message', () => received++);
        sock.on('error', () => undefined);
        await new Promise<void>((r) => sock.bind(0, HOST, r));
        const pkt = Buffer.alloc(172, 0xff);
        const leg: Leg = { sock, to: 0, seq: 0, ssrc: (i << 1) | k, pkt };
        legs.push(leg);
        return sock.address().port;
      }));
      out.push({ caller: pair[0]!, carrier: pair[1]! });
    }
    return out;
  },
  async target(args: { ports: RelayPorts[] }): Promise<boolean> {
    args.ports.forEach((p, i) => {
      legs[2 * i]!.to = p.a;
      legs[2 * i + 1]!.to = p.b;
    });
    return true;
  },
  /** Sends for `seconds`, waits 300 ms for the last packets, returns counts for this run. */
  async run(args: { mode: 'paced' | 'blast'; seconds: number }): Promise<LoadResult> {
    sent = 0;
    received = 0;
    const t0 = Date.now();
    const end = t0 + args.seconds * 1000;
    if (args.mode === 'paced') {
      const groups = 4;
      let tick = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (Date.now() >= end) {
            clearInterval(timer);
            resolve();
            return;
          }
          const g = tick++ % groups;
          for (let i = g; i < legs.length / 2; i += groups) {
            send(legs[2 * i]!);
            send(legs[2 * i + 1]!);
          }
        }, 5);
      });
    } else {
      while (Date.now() < end) {
        for (const l of legs) for (let k = 0; k < 16 && l.sock.getSendQueueCount() < 64; k++) send(l);
        await new Promise((r) => setImmediate(r));
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    await sleep(300);
    return { sent, received, seconds };
  },
  async teardown(): Promise<boolean> {
    await Promise.all(legs.map((l) => new Promise<void>((r) => l.sock.close(() => r()))));
    legs = [];
    return true;
  },
});
process.send?.({ id: 0, ok: true, value: 'ready' });
