/**
 * drachtio wire-protocol framing: `<N>#<payload>`, N = byte length of the UTF-8 payload.
 *
 * drachtio-server reads at most five length digits from an application, so a longer specifier (or
 * any non-digit before `#`) is a protocol error and the connection is closed.
 */
const MAX_LENGTH_DIGITS = 5;

export type WireFrame = { kind: 'frame'; payload: string } | { kind: 'error'; error: string };

export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'ascii'), body]);
}

/** The same frame as text, for a socket write (one UTF-8 conversion, done by the socket). */
export function frameText(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}

/** Incremental decoder for one connection. */
export class WireDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): WireFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: WireFrame[] = [];
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    for (;;) {
      const hash = buf.indexOf(0x23 /* # */, 0);
      const digitsSeen = hash === -1 ? buf.length : hash;
      if (digitsSeen > MAX_LENGTH_DIGITS) {
        out.push({ kind: 'error', error: 'invalid message length specifier' });
        this.reset();
        return out;
      }
      for (let i = 0; i < digitsSeen; i++) {
        const c = buf[i]!;
        if (c < 0x30 || c > 0x39) {
          out.push({ kind: 'error', error: 'invalid message length specifier' });
          this.reset();
          return out;
        }
      }
      if (hash === -1) break;
      const len = Number(buf.toString('ascii', 0, hash));
      if (hash === 0 || len <= 0) {
        out.push({ kind: 'error', error: 'invalid message length specifier' });
        this.reset();
        return out;
      }
      const end = hash + 1 + len;
      if (buf.length < end) break;
      out.push({ kind: 'frame', payload: buf.toString('utf8', hash + 1, end) });
      buf = buf.subarray(end);
    }
    this.chunks = buf.length ? [buf] : [];
    this.buffered = buf.length;
    return out;
  }

  private reset(): void {
    this.chunks = [];
    this.buffered = 0;
  }
}
