/**
 * The TCP framer with conflicting Content-Length values (RFC 4475 §3.3.9, mcl01): the message's end
 * is unknown, so the stream cannot be framed and the connection must end — never a message cut at
 * the first value, with the rest read as the start of the next one (lost sync).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { StreamFramer } from '../../src/sip/stream-framer';

const mcl01 = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'rfc4475', 'mcl01.dat'));
const next = Buffer.from('OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2;branch=z9hG4bKn\r\nContent-Length: 0\r\n\r\n');

t.test('mcl01 then a valid message: a fatal error, no message out of the body bytes', async (t) => {
  const f = new StreamFramer();
  const out = f.push(Buffer.concat([mcl01, next]));
  t.same(out.filter((o) => o.kind === 'message'), [], 'nothing framed');
  t.same(out.at(-1), { kind: 'error', error: 'conflicting Content-Length values', fatal: true });
  t.same(f.push(next), [], 'dead afterwards');
});

t.test('the same value twice (or in compact form) frames normally', async (t) => {
  const f = new StreamFramer();
  const msg = Buffer.from('MESSAGE sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 5\r\nl: 05\r\n\r\nhello');
  const out = f.push(Buffer.concat([msg, next]));
  t.same(out.map((o) => o.kind), ['message', 'message']);
});

t.test('split across segments: the error comes when the header block is complete', async (t) => {
  const f = new StreamFramer();
  const cut = mcl01.indexOf('Content-Type');
  t.same(f.push(mcl01.subarray(0, cut)), []);
  t.match(f.push(mcl01.subarray(cut)), [{ kind: 'error', fatal: true }]);
});
