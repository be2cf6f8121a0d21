/**
 * The parser fuzz target (Jazzer.js, coverage-guided): any bytes through the SIP parser and the TCP
 * stream framer. Neither may throw — they report bad input as a typed result — and a message that
 * parses must parse again, to the same thing, after serialising.
 */
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { StreamFramer } from '../../src/sip/stream-framer';

export function fuzz(data: Buffer): void {
  const r = parseMessage(data);
  if (r.ok) {
    const again = parseMessage(serializeMessage(r.message));
    if (!again.ok) throw new Error(`serialised message does not parse: ${again.error}`);
  }
  // The same bytes as a TCP stream, cut where the data says.
  const framer = new StreamFramer({ maxHeaderBytes: 8192, maxMessageBytes: 16384 });
  const cut = data.length ? data[0]! % (data.length + 1) : 0;
  for (const chunk of [data.subarray(0, cut), data.subarray(cut)]) {
    for (const out of framer.push(chunk)) if (out.kind === 'message') parseMessage(out.data);
  }
}
