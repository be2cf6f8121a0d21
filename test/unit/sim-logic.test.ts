/** Pure parts of the carrier simulator: reply routing, retransmission schedule, SDP, bounded maps, PRNG, carriers file. */
import t from 'tap';
import { parse } from 'sdp-transform';
import { routeReply } from '../../src/sim/reply-route';
import { nextInterval, retransmitSchedule } from '../../src/sim/timers';
import { buildAnswer } from '../../src/sim/sdp';
import { ExpiringMap } from '../../src/sim/expiring-map';
import { seededRandom, shouldDrop } from '../../src/sim/prng';
import { carriersFromYaml } from '../../src/sim/carriers-file';
import type { MediaEndpoint } from '../../src/sim/media';

t.test('routeReply: RFC 3261 §18.2.2 + RFC 3581', async (t) => {
  const udp = { protocol: 'udp' as const, address: '127.0.0.1', port: 40000 };
  const a = routeReply('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1', udp);
  t.same(a?.target, { protocol: 'udp', address: '127.0.0.1', port: 5070 }, 'no rport: sent-by port');
  t.notMatch(a?.topVia, /received/, 'no received= when sent-by is the source');
  const b = routeReply('SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport', udp);
  t.same(b?.target, { protocol: 'udp', address: '127.0.0.1', port: 40000 }, 'rport: source address and port');
  t.equal(b?.topVia, 'SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport=40000;received=127.0.0.1');
  const c = routeReply('SIP/2.0/UDP host.example;branch=z9hG4bK1', udp);
  t.same(c?.target, { protocol: 'udp', address: '127.0.0.1', port: 5060 }, 'default port 5060, received address');
  const d = routeReply('SIP/2.0/TCP 127.0.0.1:5090;branch=z9hG4bK1', { protocol: 'tcp', address: '127.0.0.1', port: 51000 });
  t.same(d?.target, { protocol: 'tcp', address: '127.0.0.1', port: 51000, fallbackPort: 5090 }, 'TCP: same connection, sent-by port as fallback');
  t.equal(routeReply('garbage', udp), undefined);
});

t.test('retransmission schedule: T1 doubling, capped at T2, within 64·T1', async (t) => {
  t.equal(nextInterval(500, 4000), 1000);
  t.equal(nextInterval(4000, 4000), 4000);
  t.same(retransmitSchedule(500, 4000, 32_000), [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.same(retransmitSchedule(50, 200, 600), [50, 150, 350, 550]);
});

const media: MediaEndpoint = { address: '127.0.0.1', port: 41000, update: () => undefined, close: () => undefined };
const offer = (m: string, extra = ''): Buffer => Buffer.from(`v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n${m}${extra}`);

t.test('SDP answer: first common codec, telephone-event kept, direction mirrored, other streams rejected', async (t) => {
  const r = buildAnswer(offer('m=audio 30000 RTP/AVP 18 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\nm=video 30002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n'), media, { sessionId: 7, version: 3 });
  t.ok(r.ok);
  if (!r.ok) return;
  const a = parse(r.sdp);
  t.equal(a.connection?.ip, '127.0.0.1');
  t.equal(a.origin.sessionVersion, 3);
  t.equal(a.media[0]?.port, 41000);
  t.equal(a.media[0]?.payloads, '8 101', 'PCMA (first accepted) + telephone-event');
  t.equal(a.media[0]?.direction, 'recvonly');
  t.equal(a.media[1]?.port, 0, 'video rejected');
  t.same(r.remote, { address: '10.0.0.5', port: 30000, payloadType: 8, codec: 'PCMA' });
});

t.test('SDP: no common codec → not acceptable; empty offer → our offer; garbage → error', async (t) => {
  t.notOk(buildAnswer(offer('m=audio 30000 RTP/AVP 18\r\n'), media, { sessionId: 1, version: 1 }).ok);
  const late = buildAnswer(Buffer.alloc(0), media, { sessionId: 1, version: 1 });
  t.ok(late.ok && /m=audio 41000 RTP\/AVP 0 8 101/.test(late.sdp));
  t.notOk(buildAnswer(Buffer.from('hello'), media, { sessionId: 1, version: 1 }).ok);
});

t.test('ExpiringMap: TTL, re-insert refreshes, size cap evicts oldest', async (t) => {
  let now = 0;
  const m = new ExpiringMap<number>(100, 3, () => now);
  m.set('a', 1);
  now = 50;
  m.set('b', 2);
  t.equal(m.get('a'), 1);
  now = 100;
  t.equal(m.get('a'), undefined, 'a expired');
  t.equal(m.get('b'), 2);
  m.set('c', 3);
  m.set('d', 4);
  m.set('e', 5);
  t.equal(m.size, 3, 'capped');
  t.equal(m.get('b'), undefined, 'oldest evicted');
  now = 1000;
  m.set('f', 6);
  t.equal(m.size, 1, 'expired entries swept on insert');
});

t.test('seeded PRNG is deterministic and drops about the asked share', async (t) => {
  const a = seededRandom(123);
  const b = seededRandom(123);
  const xs = Array.from({ length: 5 }, () => a());
  t.same(xs, Array.from({ length: 5 }, () => b()));
  const r = seededRandom(9);
  let dropped = 0;
  for (let i = 0; i < 10_000; i++) if (shouldDrop(r, 10)) dropped++;
  t.ok(dropped > 900 && dropped < 1100, `${dropped} of 10000`);
  t.notOk(shouldDrop(r, 0));
  t.ok(shouldDrop(r, 100));
});

t.test('carriersFromYaml: ids and host:port from uri; errors name file and index', async (t) => {
  const ok = carriersFromYaml('carriers:\n  - id: a\n    uri: sip:127.0.0.1:5071;transport=udp\n    weight: 1\n  - id: b\n    uri: sip:127.0.0.1:5072;transport=tcp\n', 'c.yaml', 'both');
  t.same(ok, { ok: true, carriers: [{ id: 'a', host: '127.0.0.1', port: 5071, transport: 'both' }, { id: 'b', host: '127.0.0.1', port: 5072, transport: 'both' }] });
  const bad = carriersFromYaml('carriers:\n  - id: a\n    uri: http://x\n', 'c.yaml', 'both');
  t.notOk(bad.ok);
  t.match(!bad.ok && bad.errors[0], /c\.yaml:3: carriers\[0\]\.uri/);
  t.notOk(carriersFromYaml('nothing: here\n', 'c.yaml', 'both').ok);
});
