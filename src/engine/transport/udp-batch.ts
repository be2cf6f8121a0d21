/**
 * The main thread's sends to the UDP ingress thread (udp-thread.ts), one batch per event-loop turn.
 * A batch crosses as one ArrayBuffer holding every datagram back to back, transferred rather than
 * cloned, with parallel arrays saying where each one starts and where it goes: structured-cloning N
 * Buffers cost the main thread ~30 µs a batch (postMessage was 4.8 % of its CPU profile at
 * 200 calls/s, bench/results/profile.md); one copy and a transfer cost a fraction of that.
 */

/** One datagram to send; sends are posted in batches, one message per event-loop turn. */
export interface SendItem {
  id: number;
  data: Uint8Array;
  port: number;
  address: string;
}

/** A batch as posted; `bytes` goes in the transfer list. */
export interface SendBatch {
  t: 'send';
  bytes: ArrayBuffer;
  ids: number[];
  lengths: number[];
  ports: number[];
  addresses: string[];
}

export function packSends(items: readonly SendItem[]): SendBatch {
  let total = 0;
  for (const it of items) total += it.data.byteLength;
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  const batch: SendBatch = { t: 'send', bytes, ids: [], lengths: [], ports: [], addresses: [] };
  let at = 0;
  for (const it of items) {
    view.set(it.data, at);
    at += it.data.byteLength;
    batch.ids.push(it.id);
    batch.lengths.push(it.data.byteLength);
    batch.ports.push(it.port);
    batch.addresses.push(it.address);
  }
  return batch;
}

/** The worker's side: each datagram as a Buffer view into the transferred bytes (no copy). */
export function unpackSends(b: SendBatch): SendItem[] {
  const out: SendItem[] = [];
  let at = 0;
  for (let i = 0; i < b.ids.length; i++) {
    const len = b.lengths[i]!;
    out.push({ id: b.ids[i]!, data: Buffer.from(b.bytes, at, len), port: b.ports[i]!, address: b.addresses[i]! });
    at += len;
  }
  return out;
}

