/** Issue 11: a message is serialised once and its bytes reused until it changes; header names are canonical however spelled. */
import t from 'tap';
import { canonicalName, SipHeaders, type SipRequest } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { getTopVia } from '../../src/sip/headers';
import { parseAppMessage } from '../../src/engine/core/app-message';

const INVITE = [
  'INVITE sip:bob@127.0.0.1 SIP/2.0', 'v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1', 'f: <sip:a@x>;tag=1', 't: <sip:b@y>',
  'i: abc', 'CSeq: 1 INVITE', 'm: <sip:a@127.0.0.1>', 'Content-Length: 4', '', 'v=0\n',
].join('\r\n');

function request(): SipRequest {
  const r = parseMessage(Buffer.from(INVITE));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

t.test('the same bytes are returned while the message is unchanged', async (t) => {
  const m = request();
  const once = serializeMessage(m);
  t.not(serializeMessage(m), once, 'not remembered unless asked');
  const a = serializeMessage(m, true);
  t.equal(serializeMessage(m), a, 'same Buffer object, not made again');
  t.same(a, once, 'same bytes either way');
  t.match(a.toString(), /^INVITE sip:bob@127\.0\.0\.1 SIP\/2\.0\r\n/);
  t.match(a.toString(), /Content-Length: 4\r\n\r\nv=0\n$/);
});

t.test('any change through the model makes new bytes', async (t) => {
  const m = request();
  let last = serializeMessage(m, true);
  const changes: Array<[string, () => void, RegExp]> = [
    ['headers.set', () => m.headers.set('Max-Forwards', '69'), /Max-Forwards: 69/],
    ['headers.prepend', () => m.headers.prepend('Via', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2'), /Max-Forwards: 69\r\nVia: SIP\/2\.0\/UDP 10\.0\.0\.1|Via: SIP\/2\.0\/UDP 10\.0\.0\.1;branch=z9hG4bK2\r\nv:/],
    ['headers.removeFirst', () => m.headers.removeFirst('via'), /^(?![\s\S]*10\.0\.0\.1)/],
    ['headers.append', () => m.headers.append('X-A', '1'), /X-A: 1\r\n/],
    ['headers.remove', () => m.headers.remove('x-a'), /^(?![\s\S]*X-A)/],
    ['uri', () => void (m.uri = 'sip:carol@127.0.0.1'), /^INVITE sip:carol@/],
    ['body replaced', () => void (m.body = Buffer.from('v=1\n')), /Content-Length: 4\r\n\r\nv=1\n$/],
    ['headers replaced', () => void (m.headers = new SipHeaders([{ name: 'Call-ID', value: 'new' }])), /^INVITE sip:carol@127\.0\.0\.1 SIP\/2\.0\r\nCall-ID: new\r\n/],
  ];
  for (const [what, change, expect] of changes) {
    change();
    const now = serializeMessage(m, true);
    t.not(now, last, `${what}: new bytes`);
    t.match(now.toString(), expect, `${what}: the change is in them`);
    last = now;
  }
});

t.test('canonical names: compact, any case, padded; stable when asked again', async (t) => {
  for (const [spelling, name] of [['v', 'via'], ['V', 'via'], ['Via', 'via'], [' VIA ', 'via'], ['i', 'call-id'], ['Call-ID', 'call-id'], ['X-Odd', 'x-odd']]) {
    t.equal(canonicalName(spelling!), name, spelling);
    t.equal(canonicalName(spelling!), name, `${spelling} again (cached)`);
  }
  const h = new SipHeaders([{ name: 'i', value: 'x' }, { name: 'CALL-ID', value: 'y' }]);
  t.same(h.getAll('Call-Id'), ['x', 'y']);
});

t.test('first(): the first list value without splitting the rest, as getAll()[0]', async (t) => {
  const h = new SipHeaders([
    { name: 'X', value: '' }, { name: 'v', value: 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2' },
    { name: 'Via', value: 'SIP/2.0/TCP c' }, { name: 'Contact', value: '"A, B" <sip:x@y>, <sip:z@w>' }, { name: 'Call-ID', value: 'a,b' },
  ]);
  for (const name of ['via', 'V', 'contact', 'call-id', 'x', 'absent']) t.equal(h.first(name), h.getAll(name)[0], name);
});

t.test('the top Via is parsed once per header state and follows changes', async (t) => {
  const m = request();
  const a = getTopVia(m);
  t.equal(getTopVia(m), a, 'same parsed object while unchanged');
  t.equal(a?.branch, 'z9hG4bK1');
  m.headers.prepend('Via', 'SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKnew');
  t.equal(getTopVia(m)?.branch, 'z9hG4bKnew', 'a new top Via is seen');
  t.equal(getTopVia(m)?.port, 5070);
});

// A message kept for a transaction's 32 s window must not pin an 8 KiB Buffer pool slab shared with
// short-lived buffers: a heap snapshot at 400 calls/s held 65 MiB of slabs for 43,559 bodies and kept
// bytes (docs/perf-tail.md). Kept bytes and parsed bodies own exactly their memory.
t.test('kept bytes and parsed bodies are not slices of the shared Buffer pool', async (t) => {
  const m = request();
  t.equal(m.body.length, 4);
  t.equal(m.body.buffer.byteLength, m.body.length, 'the parsed body owns its memory');
  const kept = serializeMessage(m, true);
  t.equal(kept.buffer.byteLength, kept.length, 'bytes kept with the message own their memory');
  const fromApp = parseAppMessage('SIP/2.0 200 OK\r\nCall-ID: abc\r\n\r\nv=0\r\n');
  t.equal(fromApp?.body.toString(), 'v=0\r\n');
  t.equal(fromApp?.body.buffer.byteLength, fromApp?.body.length, "a body from the app's wire text owns its memory");
  const empty = parseMessage(Buffer.from(INVITE.replace('Content-Length: 4', 'Content-Length: 0')));
  t.ok(empty.ok && empty.message.body.length === 0, 'an empty body stays empty');
});
