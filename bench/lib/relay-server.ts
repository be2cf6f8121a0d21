/**
 * The relay under test, alone in its process so its CPU can be read from /proc/PID/task/TID/schedstat:
 * one MediaRelay on 127.0.0.1, driven over IPC by bench/relay.bench.ts.
 * argv: portMin portMax
 */
import { MediaRelay } from '../../src/media/relay/relay';
import type { RelaySession } from '../../src/media/relay/session';
import { serveRpc } from './relay-ipc';

const [min, max] = process.argv.slice(2).map(Number);
const relay = new MediaRelay({ bindAddress: '127.0.0.1', portRange: { min: min!, max: max! }, inactivityTimeoutMs: 10_000 });
let sessions: RelaySession[] = [];

export interface EndpointPorts { caller: number; carrier: number }
export interface RelayPorts { a: number; b: number }
export interface RelayTotals { sessions: number; portsInUse: number; received: number; forwarded: number; dropped: number; expected: number; lost: number }

serveRpc({
  /** Opens one session per call, remotes = the generator's endpoint sockets; returns our ports. */
  async open(args: { calls: EndpointPorts[] }): Promise<RelayPorts[]> {
    const out: RelayPorts[] = [];
    for (let i = 0; i < args.calls.length; i += 100) {
      const batch = await Promise.all(args.calls.slice(i, i + 100).map(async (c, j) => {
        const s = await relay.open(`bench-${i + j}`, 'bench');
        s.setRemote('a', { address: '127.0.0.1', rtpPort: c.caller });
        s.setRemote('b', { address: '127.0.0.1', rtpPort: c.carrier });
        return s;
      }));
      sessions.push(...batch);
      out.push(...batch.map((s) => ({ a: s.local('a').rtpPort, b: s.local('b').rtpPort })));
    }
    return out;
  },
  async totals(): Promise<RelayTotals> {
    const t: RelayTotals = { ...relay.stats(), received: 0, forwarded: 0, dropped: 0, expected: 0, lost: 0 };
    for (const s of sessions) {
      const st = s.stats();
      for (const f of [st['a→b'], st['b→a']]) {
        t.received += f.packets;
        t.forwarded += f.forwarded;
        t.dropped += f.droppedHold + f.droppedNoRemote + f.droppedForeign + f.invalid;
        t.expected += f.expected;
        t.lost += Math.max(0, f.lost);
      }
    }
    return t;
  },
  async closeAll(): Promise<{ sessions: number; portsInUse: number }> {
    await Promise.all(sessions.map((s) => s.close()));
    sessions = [];
    return relay.stats();
  },
});
process.send?.({ id: 0, ok: true, value: 'ready' });
