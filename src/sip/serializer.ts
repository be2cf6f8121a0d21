/** SIP message → bytes; Content-Length always recomputed from the body's byte length. */
import { canonicalName, type SipMessage } from './message';

export function serializeMessage(msg: SipMessage): Buffer {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  let head = start + '\r\n';
  for (const f of msg.headers.entries()) {
    if (canonicalName(f.name) === 'content-length') continue;
    head += `${f.name}: ${f.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const h = Buffer.from(head, 'utf8');
  return msg.body.length ? Buffer.concat([h, msg.body]) : h;
}
