/** Loopback ports free for both UDP and TCP, for the systems and SIPp instances of one run. */
import dgram from 'node:dgram';
import net from 'node:net';

const taken = new Set<number>();

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 200; tries++) {
    const p = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    if (taken.has(p) || !(await udpFree(p))) continue;
    taken.add(p);
    out.push(p);
  }
  if (out.length < n) throw new Error(`could not find ${n} free loopback ports`);
  return out;
}

export function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

/** Wait (bounded) until something has bound UDP `port` on loopback. */
export async function waitUdpBound(port: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!(await udpFree(port))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
