/** The shedding decision of the UDP ingress thread (src/engine/transport/shed.ts), without sockets. */
import t from 'tap';
import { OverloadShedder, PRESSURE, RecentKeys, SHARED_SLOTS, scanInvite, shedResponse } from '../../src/engine/transport/shed';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';

const msg = (first: string, ...headers: string[]): Buffer => Buffer.from([first, ...headers, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');
const invite = (branch: string, to = 'To: <sip:b@x>', callId = 'c1'): Buffer =>
  msg('INVITE sip:b@x SIP/2.0', `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch};rport`, 'From: <sip:a@x>;tag=f', to, `Call-ID: ${callId}`, 'CSeq: 1 INVITE');

t.test('scanInvite: key and in-dialog flag from a cheap header scan', async (t) => {
  t.same(scanInvite(invite('z9hG4bK-1')), { key: 'z9hG4bK-1', toTag: false });
  t.same(scanInvite(invite('z9hG4bK-1', 'To: <sip:b@x>;tag=abc')), { key: 'z9hG4bK-1', toTag: true }, 'To tag: in-dialog');
  t.same(scanInvite(invite('z9hG4bK-1', 'To: <sip:b@x;tag=uri-param>')), { key: 'z9hG4bK-1', toTag: false }, 'a tag inside <> is a URI parameter');
  t.same(scanInvite(msg('INVITE sip:b@x SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bKc, SIP/2.0/UDP g;branch=z9hG4bKd', 't: <sip:b@x>;tag=9', 'i: cid')), { key: 'z9hG4bKc', toTag: true }, 'compact forms, top Via only');
  t.same(scanInvite(invite('old-style', undefined, 'cid-2')), { key: 'cid-2|1 INVITE', toTag: false }, 'no RFC 3261 branch: Call-ID + CSeq');
  t.equal(scanInvite(msg('BYE sip:b@x SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK-2')), undefined, 'not an INVITE');
  t.equal(scanInvite(msg('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK-2', 'CSeq: 1 INVITE')), undefined, 'a response');
  t.equal(scanInvite(Buffer.from('INV')), undefined, 'too short');
});

t.test('RecentKeys forgets after its time and keeps its size bound', async (t) => {
  const k = new RecentKeys<number>(3, 1000);
  k.set('a', 1, 0);
  t.equal(k.get('a', 999), 1);
  t.equal(k.get('a', 1000), undefined, 'expired');
  k.set('b', 2, 2000);
  t.equal(k.size, 1, 'the expired entry was swept on insert');
  k.set('c', 3, 2001);
  k.set('d', 4, 2002);
  k.set('e', 5, 2003);
  t.equal(k.size, 3, 'bounded');
  t.equal(k.get('b', 2004), undefined, 'the oldest went first');
  t.equal(k.get('e', 2004), 5);
});

t.test('OverloadShedder: new INVITEs shed only while the main thread is behind; admitted traffic passes', async (t) => {
  const shared = new Float64Array(SHARED_SLOTS);
  const s = new OverloadShedder({ ...DEFAULT_LIMITS, ingressMaxLagMs: 150, ingressMaxBacklog: 100, shedRejectRate: 2 }, shared);
  const now = 10_000;
  t.equal(s.classify(invite('z9hG4bK-a'), now), 'fresh', 'idle: a new call passes, marked fresh');
  s.posted(1, now, 1);
  t.equal(s.overloaded(now + 150), false, 'at the threshold: not yet');
  t.equal(s.classify(invite('z9hG4bK-b'), now + 151), 'shed', 'batch 1 not taken for 151 ms: a new call is shed');
  t.equal(s.classify(invite('z9hG4bK-a'), now + 152), 'pass', 'the retransmission of an admitted INVITE passes');
  t.equal(s.classify(invite('z9hG4bK-c', 'To: <sip:b@x>;tag=1'), now + 153), 'pass', 're-INVITE passes');
  t.equal(s.classify(msg('BYE sip:b@x SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK-d', 'To: <sip:b@x>;tag=1'), now + 153), 'pass', 'BYE passes');
  t.equal(s.classify(msg('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK-e', 'CSeq: 1 INVITE'), now + 153), 'pass', 'a response passes');
  t.equal(shared[PRESSURE.posted], 1, 'datagrams posted published');
  shared[PRESSURE.consumedSeq] = 1;
  t.equal(s.overloaded(now + 200), false, 'the main thread took the batch: caught up');
  t.equal(s.classify(invite('z9hG4bK-b'), now + 200), 'shed', 'a shed INVITE\'s retransmission is shed again, also after the overload');
  t.equal(s.classify(invite('z9hG4bK-f'), now + 200), 'fresh', 'a new call after it passes');
  s.posted(2, now + 300, 101);
  t.equal(s.overloaded(now + 300), true, 'more than ingressMaxBacklog datagrams waiting: behind');

  t.equal(s.take(now), true);
  t.equal(s.take(now), true);
  t.equal(s.take(now), false, 'beyond the 503 budget: dropped');
  t.equal(shared[PRESSURE.shed], 3, 'every shed counted');
  t.equal(shared[PRESSURE.shedAnswered503], 2, 'answered ones counted');

  s.remember(invite('z9hG4bK-g'), now);
  t.equal(s.isShed(invite('z9hG4bK-g'), now + 1), true, 'the main thread remembers what it shed');
  t.equal(s.isShed(invite('z9hG4bK-h'), now + 1), false);
});

t.test('shedResponse: a stateless 503 with Retry-After and a To tag, to the rport target', async (t) => {
  const r = shedResponse(invite('z9hG4bK-x'), { protocol: 'udp', address: '10.0.0.9', port: 40000 }, 2);
  if (!r) return t.fail('no response');
  t.same(r.target, { protocol: 'udp', address: '10.0.0.9', port: 40000 }, 'rport: back to the source');
  const p = parseMessage(serializeMessage(r.res, true));
  if (!p.ok || p.message.kind !== 'response') return t.fail('does not parse');
  t.equal(p.message.status, 503);
  t.equal(p.message.headers.get('retry-after'), '2');
  t.match(p.message.headers.get('to') ?? '', /;tag=/);
  t.equal(p.message.headers.get('via'), 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x;rport');
  t.equal(shedResponse(Buffer.from('garbage'), { protocol: 'udp', address: '10.0.0.9', port: 1 }, 1), undefined, 'unparseable: nothing');
});
