import t from 'tap';
import { WireDecoder, encodeFrame } from '../../src/engine/wire/framing';
import { parseAppFrame, sipToApp, requestSentEcho } from '../../src/engine/wire/protocol';

t.test('encodes the byte length of UTF-8 payloads, not the character count', async (t) => {
  const f = encodeFrame('id|sip|☎');
  t.equal(f.toString('utf8'), '10#id|sip|☎');
});

t.test('decodes frames split at every byte, including inside the length', async (t) => {
  const payloads = ['a|ping', 'b|route|invite', `c|sip|||\r\nINVITE sip:x SIP/2.0\r\n\r\n`];
  const wire = Buffer.concat(payloads.map(encodeFrame));
  const d = new WireDecoder();
  const got: string[] = [];
  for (let i = 0; i < wire.length; i++) {
    for (const f of d.push(wire.subarray(i, i + 1))) {
      if (f.kind === 'frame') got.push(f.payload);
      else t.fail(f.error);
    }
  }
  t.same(got, payloads);
});

t.test('decodes many frames in one chunk', async (t) => {
  const d = new WireDecoder();
  const frames = d.push(Buffer.concat([encodeFrame('1|ping'), encodeFrame('2|ping'), encodeFrame('3|pi')]));
  t.same(frames.map((f) => (f.kind === 'frame' ? f.payload : f.error)), ['1|ping', '2|ping', '3|pi']);
});

t.test('rejects a length specifier longer than five digits, as drachtio-server does', async (t) => {
  const d = new WireDecoder();
  const out = d.push(Buffer.from('123456#x'));
  t.equal(out[0]?.kind, 'error');
});

t.test('rejects non-digits before #', async (t) => {
  t.equal(new WireDecoder().push(Buffer.from('GET / HTTP/1.1\r\n'))[0]?.kind, 'error');
  t.equal(new WireDecoder().push(Buffer.from('0#'))[0]?.kind, 'error');
});

t.test('parses an application frame into id, type, tokens and SIP', async (t) => {
  const f = parseAppFrame('m1|sip|txn|dlg|sip:proxy\r\nBYE sip:placeholder SIP/2.0\r\n\r\n');
  t.ok(f);
  t.equal(f!.msgId, 'm1');
  t.equal(f!.type, 'sip');
  t.same(f!.tokens, ['txn', 'dlg', 'sip:proxy']);
  t.equal(f!.sip, 'BYE sip:placeholder SIP/2.0\r\n\r\n');
  t.equal(parseAppFrame('nopipe'), undefined);
});

t.test('network messages carry enough tokens for drachtio-agent (it drops 10 or fewer)', async (t) => {
  const meta = { source: 'network' as const, bytes: 10, protocol: 'udp' as const, address: '127.0.0.1', port: 5060, time: '00:00:00.000000' };
  const msg = sipToApp(meta, 'txn', '', 'INVITE sip:a SIP/2.0\r\n\r\n', { address: '127.0.0.1', port: 5060 });
  const leader = msg.slice(0, msg.indexOf('\r'));
  const tokens = leader.split('|');
  t.ok(tokens.length > 11);
  t.equal(tokens[1], 'sip');
  t.equal(tokens[2], 'network');
  t.equal(tokens[8], 'txn');
  t.equal(tokens[10], '127.0.0.1');
  const inDialog = sipToApp(meta, 'txn', 'cid;from-tag=x', 'BYE sip:a SIP/2.0\r\n\r\n');
  t.equal(inDialog.slice(0, inDialog.indexOf('\r')).split('|')[9], 'cid;from-tag=x');
});

t.test('request echo puts the transaction id where drachtio-agent reads it', async (t) => {
  const meta = { source: 'application' as const, bytes: 5, protocol: 'tcp' as const, address: '10.0.0.1', port: 5070, time: 't' };
  const e = requestSentEcho('app-msg', meta, 'TXN', 'INVITE …');
  const token = e.slice(0, e.indexOf('\r')).split('|');
  t.equal(token[1], 'response');
  t.equal(token[2], 'app-msg');
  const rest = token.slice(3); // what drachtio-agent hands to its callback
  t.equal(rest[0], 'OK');
  t.equal(rest[7], 'TXN');
  t.equal(token[6], 'tcp');
  t.equal(token[7], '10.0.0.1');
});
