/**
 * SIP message → bytes; Content-Length always recomputed from the body's byte length.
 *
 * The bytes are remembered on the message's headers object (SipHeaders.bytesMemo): the engine sends
 * a message, echoes it to the application and retransmits it, and each of those asks for the same
 * bytes. They are made again only when the start line, the headers (changed through SipHeaders, or
 * replaced) or the body (replaced) differ from when they were made.
 */
import { canonicalName, type SipMessage } from './message';
import { ownedUtf8 } from './owned';

/**
 * `remember`: keep the bytes with the message for the next call (a message that will be sent again,
 * echoed or retransmitted). Without it, remembered bytes are still reused but new ones are not kept,
 * so a message serialised only once (e.g. a received request shown to the application) does not carry
 * a second copy of itself for as long as its transaction lives.
 */
export function serializeMessage(msg: SipMessage, remember = false): Buffer {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const prev = msg.headers.bytesMemo;
  if (prev && prev.start === start && prev.version === msg.headers.version && prev.body === msg.body) return prev.bytes;
  let head = start + '\r\n';
  for (const f of msg.headers.entries()) {
    if (canonicalName(f.name) === 'content-length') continue;
    head += `${f.name}: ${f.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  if (!remember) {
    const h = Buffer.from(head, 'utf8');
    return msg.body.length ? Buffer.concat([h, msg.body]) : h;
  }
  // Kept bytes live as long as the message (retransmissions, 32 s windows): their own allocation,
  // not a slice of the shared 8 KiB pool that would keep the whole slab alive with them.
  const bytes = ownedUtf8(head, msg.body);
  msg.headers.bytesMemo = { start, version: msg.headers.version, body: msg.body, bytes };
  return bytes;
}
