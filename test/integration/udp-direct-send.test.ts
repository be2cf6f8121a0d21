/**
 * Direct sends on the ingress thread's UDP socket (src/engine/transport/direct-send.ts), against the
 * kernel: the main thread's duplicate descriptor sends with the socket's own source port, errors come
 * back as errors, a closed duplicate releases the port, and the UDP thread transport uses it for its
 * sends — also after its ingress thread died and was restarted on the same port.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { DirectSender } from '../../src/engine/transport/direct-send';
import { socketFd } from '../../src/engine/transport/socket-filter';
import { UdpThreadTransport, type ThreadDatagram } from '../../src/engine/transport/udp-thread';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';
import { silentLogger } from '../../src/engine/logger';
import { until } from '../helpers/wait';

async function bound(type: 'udp4' | 'udp6', address: string, port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  return s;
}
const close = (s: dgram.Socket): Promise<void> => new Promise((r) => s.close(() => r()));
const received = (s: dgram.Socket): Array<{ data: string; port: number }> => {
  const got: Array<{ data: string; port: number }> = [];
  s.on('message', (m, r) => got.push({ data: m.toString(), port: r.port }));
  return got;
};

t.test('available on Linux (koffi is a dependency)', { skip: process.platform !== 'linux' && 'not Linux' }, async (t) => {
  t.equal(DirectSender.unavailable(), undefined);
});

for (const [type, address] of [['udp4', '127.0.0.1'], ['udp6', '::1']] as const) {
  t.test(`${type}: sends carry the socket's own port; errors are errors; close releases the port`, async (t) => {
    const sock = await bound(type, address);
    const rx = await bound(type, address);
    const got = received(rx);
    const fd = socketFd(sock);
    t.ok(fd !== undefined, 'the socket has a descriptor');
    const d = DirectSender.open(fd!, type === 'udp4' ? 4 : 6)!;
    t.ok(d, 'opened');
    for (let i = 0; i < 3; i++) t.equal(d.send(Buffer.from(`hello ${i}`), rx.address().port, address), 'sent');
    await until(() => got.length === 3, 2000);
    t.same(got.map((g) => g.data), ['hello 0', 'hello 1', 'hello 2'], 'every datagram arrived, in order');
    t.ok(got.every((g) => g.port === sock.address().port), 'from the listening port');
    t.equal(d.send(Buffer.from('x'), 5060, type === 'udp4' ? '::1' : '127.0.0.1'), 'again', 'another family goes the usual way');
    if (type === 'udp4') {
      const r = d.send(Buffer.from('x'), 9, '255.255.255.255');
      t.ok(r instanceof Error && /errno 13/.test(r.message), `a broadcast without SO_BROADCAST is refused: ${String(r)}`);
    }
    const port = sock.address().port;
    d.close();
    d.close();
    t.equal(d.send(Buffer.from('late'), rx.address().port, address), 'again', 'a closed sender sends nothing');
    await close(sock);
    const again = await bound(type, address, port);
    t.equal(again.address().port, port, 'the port is free again once both descriptors are closed');
    await close(again);
    await close(rx);
  });
}

t.test('the UDP thread transport sends directly, and again after its thread was restarted', async (t) => {
  const rx = await bound('udp4', '127.0.0.1');
  const got = received(rx);
  const inbound: ThreadDatagram[] = [];
  const tr = new UdpThreadTransport('127.0.0.1', 0, DEFAULT_LIMITS, undefined, (d) => inbound.push(d), () => undefined, silentLogger);
  const { port } = await tr.listen();
  const fails: Error[] = [];
  tr.send(Buffer.from('one'), rx.address().port, '127.0.0.1', (e) => fails.push(e));
  await until(() => got.length === 1, 2000);
  t.equal(got[0]?.port, port, 'from the SIP port');
  t.equal(tr.directSends, 1, 'without a message to the ingress thread');
  rx.send('SIP/2.0 200 OK\r\n\r\n', port, '127.0.0.1');
  await until(() => inbound.length === 1, 2000);
  t.equal(inbound.length, 1, 'receiving still on the ingress thread');

  tr.send(Buffer.from('x'), 9, '255.255.255.255', (e) => fails.push(e));
  t.equal(fails.length, 1, 'a refused send reaches onFail');

  // The ingress thread dies: the transport restarts it on the same port — possible only if the
  // main thread's duplicate was closed first.
  t.ok(tr.sendsDirectly, 'sending directly before');
  await tr.terminateIngress();
  t.notOk(tr.sendsDirectly, 'not while the thread is down');
  t.ok(await until(() => tr.sendsDirectly, 5000), 'and again once it was restarted');
  tr.send(Buffer.from('two'), rx.address().port, '127.0.0.1', (e) => fails.push(e));
  await until(() => got.length === 2, 2000);
  t.equal(got[1]?.port, port, 'after the restart, from the same port');
  t.equal(tr.directSends, 2, 'directly again');
  await tr.close();
  t.notOk(tr.sendsDirectly, 'closed: no direct sends');
  const free = await bound('udp4', '127.0.0.1', port);
  t.equal(free.address().port, port, 'closed: the port is free');
  await close(free);
  await close(rx);
  t.equal(fails.length, 1, 'no other send failed');
});
