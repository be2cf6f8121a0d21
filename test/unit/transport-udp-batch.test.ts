/**
 * A turn's sends cross to the UDP ingress thread packed into one transferred ArrayBuffer
 * (src/engine/transport/udp-batch.ts). Checked through a real MessageChannel, as the worker gets it:
 * every datagram arrives byte for byte with its id, port and address, in order; the sender's own
 * buffers (kept for retransmissions) are untouched by the transfer.
 */
import t from 'tap';
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { packSends, unpackSends, type SendBatch, type SendItem } from '../../src/engine/transport/udp-batch';

const cross = (b: SendBatch): Promise<SendBatch> => new Promise((resolve) => {
  const { port1, port2 } = new MessageChannel();
  port2.once('message', (m: SendBatch) => {
    port1.close();
    port2.close();
    resolve(m);
  });
  port1.postMessage(b, [b.bytes]);
});

t.test('round trip through a MessageChannel with transfer', async (t) => {
  const item = fc.record({
    id: fc.nat(),
    data: fc.uint8Array({ minLength: 0, maxLength: 2000 }).map((u) => Buffer.from(u)),
    port: fc.integer({ min: 1, max: 65535 }),
    address: fc.constantFrom('127.0.0.1', '192.0.2.7', '::1'),
  });
  let runs = 0;
  await fc.assert(fc.asyncProperty(fc.array(item, { maxLength: 12 }), async (items: SendItem[]) => {
    runs++;
    const copies = items.map((i) => Buffer.from(i.data));
    const got = unpackSends(await cross(packSends(items)));
    if (got.length !== items.length) throw new Error('count');
    got.forEach((g, i) => {
      const want = items[i]!;
      if (g.id !== want.id || g.port !== want.port || g.address !== want.address) throw new Error(`meta ${i}`);
      if (!Buffer.from(g.data).equals(copies[i]!)) throw new Error(`bytes ${i}`);
      if (!Buffer.from(want.data).equals(copies[i]!) || want.data.byteLength !== copies[i]!.length) throw new Error(`sender's buffer ${i} changed`);
    });
  }), { numRuns: 200, seed: 11 });
  t.equal(runs, 200);
});

t.test('the packed bytes are one buffer, transferred (detached on the sending side)', async (t) => {
  const b = packSends([{ id: 1, data: Buffer.from('INVITE'), port: 5060, address: '127.0.0.1' }, { id: 2, data: Buffer.from('ACK'), port: 5061, address: '127.0.0.1' }]);
  t.equal(b.bytes.byteLength, 9);
  const got = await cross(b);
  t.equal(b.bytes.byteLength, 0, 'detached after the transfer: not copied again');
  t.same(unpackSends(got).map((i) => Buffer.from(i.data).toString()), ['INVITE', 'ACK']);
});
