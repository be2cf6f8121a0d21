/**
 * Property tests (fast-check) for the SIP codec: parse(serialize(m)) gives m back for any valid
 * message (start line, header names and values in order, body bytes); the TCP stream framer yields
 * exactly the messages sent whatever the chunking; the parser never throws, on arbitrary bytes or on
 * damaged real messages — it answers with its typed result.
 */
import t from 'tap';
import fc from 'fast-check';
import { SipHeaders, type SipMessage } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { StreamFramer } from '../../src/sip/stream-framer';

const RUNS = { numRuns: 300, seed: 20 };
const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,15}$/);
/** Header text: printable ASCII and some UTF-8, no CR/LF, no leading/trailing blank (the parser trims). */
const value = fc.stringMatching(/^[!-~\u00e4\u00e9\u20ac]([ !-~\u00e4\u00e9\u20ac]{0,40}[!-~\u00e4\u00e9\u20ac])?$/);
const EXTRA = fc.array(fc.tuple(token.filter((n) => !/^(content-length|l|via|v|from|f|to|t|call-id|i|cseq|contact|m)$/i.test(n)), value), { maxLength: 8 });

const message: fc.Arbitrary<SipMessage> = fc.record({
  request: fc.boolean(),
  method: fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK', 'FOO'),
  user: fc.stringMatching(/^[+0-9a-z]{1,12}$/),
  status: fc.integer({ min: 100, max: 699 }),
  reason: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/).map((s) => s.trimEnd()),
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  callId: token,
  branch: token,
  extra: EXTRA,
  body: fc.uint8Array({ maxLength: 300 }),
}).map((g) => {
  const method = g.method;
  const headers = new SipHeaders([
    { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${g.branch}` },
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${g.branch}` },
    { name: 'To', value: `<sip:${g.user}@127.0.0.1>` },
    { name: 'Call-ID', value: g.callId },
    { name: 'CSeq', value: `${g.seq} ${method}` },
    { name: 'Contact', value: `<sip:${g.user}@127.0.0.2:5062>` },
    ...g.extra.map(([name, v]) => ({ name, value: v })),
  ]);
  const body = Buffer.from(g.body);
  return g.request
    ? { kind: 'request' as const, method, uri: `sip:${g.user}@127.0.0.1:5060`, version: 'SIP/2.0', headers, body }
    : { kind: 'response' as const, status: g.status, reason: g.reason, version: 'SIP/2.0', headers, body };
});

const fields = (m: SipMessage): Array<[string, string]> => m.headers.entries().filter((f) => !/^(content-length|l)$/i.test(f.name)).map((f) => [f.name, f.value]);
const startOf = (m: SipMessage): string => (m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`);

t.test('parse(serialize(m)) is m', async (t) => {
  fc.assert(fc.property(message, (m) => {
    const r = parseMessage(serializeMessage(m));
    if (!r.ok) throw new Error(`does not parse: ${r.error}`);
    if (startOf(r.message) !== startOf(m)) throw new Error(`start line ${startOf(r.message)} ≠ ${startOf(m)}`);
    if (JSON.stringify(fields(r.message)) !== JSON.stringify(fields(m))) throw new Error(`headers differ: ${JSON.stringify(fields(r.message))}`);
    if (!r.message.body.equals(m.body)) throw new Error('body differs');
  }), RUNS);
  t.pass(`${RUNS.numRuns} messages`);
});

t.test('the stream framer yields exactly the messages sent, however the stream is cut', async (t) => {
  fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 20 }), fc.boolean(),
    (msgs, cuts, keepalives) => {
      const wire = msgs.map((m) => serializeMessage(m));
      const stream = Buffer.concat(wire.flatMap((b) => (keepalives ? [Buffer.from('\r\n\r\n'), b] : [b])));
      const framer = new StreamFramer();
      const got: Buffer[] = [];
      let at = 0;
      for (const c of [...cuts, stream.length]) {
        const end = Math.min(stream.length, at + c);
        for (const o of framer.push(stream.subarray(at, end))) {
          if (o.kind === 'error') throw new Error(`framer error: ${o.error}`);
          if (o.kind === 'message') got.push(o.data);
        }
        at = end;
        if (at >= stream.length) break;
      }
      if (got.length !== wire.length || got.some((g, i) => !g.equals(wire[i]!))) throw new Error(`got ${got.length} messages for ${wire.length}`);
    }), RUNS);
  t.pass(`${RUNS.numRuns} streams`);
});

t.test('the parser never throws: arbitrary bytes, and real messages cut, flipped and spliced', async (t) => {
  const damaged = fc.tuple(message, fc.nat(), fc.uint8Array({ maxLength: 16 }), fc.nat()).map(([m, at, junk, cut]) => {
    const b = serializeMessage(m);
    const p = b.length ? at % b.length : 0;
    const spliced = Buffer.concat([b.subarray(0, p), Buffer.from(junk), b.subarray(p)]);
    return spliced.subarray(0, spliced.length ? cut % (spliced.length + 1) : 0);
  });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)), damaged), (bytes) => {
    const r = parseMessage(bytes);
    if (typeof r.ok !== 'boolean') throw new Error('no typed result');
    const framer = new StreamFramer({ maxHeaderBytes: 4096, maxMessageBytes: 8192 });
    framer.push(bytes);
  }), { numRuns: 1000, seed: 21 });
  t.pass('1000 inputs');
});
