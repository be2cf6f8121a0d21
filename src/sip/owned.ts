/**
 * Buffers that own exactly their bytes. A message body or its serialised bytes live as long as the
 * message's transaction (32 s windows); Buffer.from / Buffer.concat would put small ones in Node's
 * shared 8 KiB pool and keep the whole slab alive with them — 65 MiB of slabs at 400 calls/s
 * (docs/perf-tail.md). Short-lived buffers should keep using the pool: it is faster to allocate.
 */

/** bytes[start, end) copied into a buffer of its own. */
export function ownedCopy(buf: Buffer, start = 0, end = buf.length): Buffer {
  if (end <= start) return Buffer.alloc(0);
  const out = Buffer.allocUnsafeSlow(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/** UTF-8 text, then `tail`, in one buffer of its own. */
export function ownedUtf8(text: string, tail?: Buffer): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafeSlow(n + (tail?.length ?? 0));
  out.write(text, 0, 'utf8');
  tail?.copy(out, n);
  return out;
}
