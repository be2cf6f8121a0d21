import t from 'tap';
import { mediaTarget, rewriteSdp } from '../../src/media/sdp';

const sdp = (...lines: string[]): string => lines.join('\r\n') + '\r\n';

/** Asterisk-style offer: session-level c=, no a=rtcp, PCMU/PCMA/telephone-event. */
const ASTERISK = sdp(
  'v=0', 'o=- 1718123456 1718123456 IN IP4 10.1.2.3', 's=Asterisk', 'c=IN IP4 10.1.2.3', 't=0 0',
  'm=audio 16384 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=ptime:20', 'a=maxptime:150', 'a=sendrecv',
);

/** A carrier answer with session- and media-level c= (media wins), a=rtcp, static PTs without rtpmap. */
const CARRIER = sdp(
  'v=0', 'o=Sonus_UAC 283746 918273 IN IP4 198.51.100.10', 's=SIP Media Capabilities', 'c=IN IP4 198.51.100.10', 't=0 0',
  'm=audio 30010 RTP/AVP 18 0 101', 'c=IN IP4 198.51.100.77', 'a=rtcp:30011', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15', 'a=x-sonus-private:keep-me', 'a=ptime:20',
);

/** FreeSWITCH-like with a=rtcp carrying its own address and rtcp-mux. */
const MUX = sdp(
  'v=0', 'o=FreeSWITCH 1718000000 1718000001 IN IP4 203.0.113.5', 's=FreeSWITCH', 'c=IN IP4 203.0.113.5', 't=0 0',
  'm=audio 24680 RTP/AVP 9 0 8 13 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:13 CN/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=rtcp:24680 IN IP4 203.0.113.5', 'a=rtcp-mux', 'a=ptime:20',
);

const IPV6 = sdp(
  'v=0', 'o=- 1 1 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 2001:db8::10', 't=0 0',
  'm=audio 5004 RTP/AVP 0', 'a=rtcp:5005 IN IP6 2001:db8::11',
);

const WITH_VIDEO = sdp(
  'v=0', 'o=- 5 5 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0',
  'm=audio 7078 RTP/AVP 0 96', 'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1',
  'm=video 9078 RTP/AVP 97', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42e01f',
);

t.test('mediaTarget: session-level c=, port + 1 for RTCP, codecs from rtpmap', async (t) => {
  const r = mediaTarget(ASTERISK);
  if (!r.ok) throw r.error;
  t.match(r.value, { address: '10.1.2.3', family: 4, rtpPort: 16384, rtcpPort: 16385, rtcpMux: false, direction: 'sendrecv', hold: false, rejected: false, protocol: 'RTP/AVP', payloadTypes: [0, 8, 101] });
  t.same(r.value.codecs.map((c) => c.name), ['PCMU', 'PCMA', 'telephone-event']);
  t.equal(r.value.codecs[2]?.fmtp, '0-16');
});

t.test('mediaTarget: media-level c= wins over session-level; a=rtcp port; static PTs named', async (t) => {
  const r = mediaTarget(CARRIER);
  if (!r.ok) throw r.error;
  t.match(r.value, { address: '198.51.100.77', rtpPort: 30010, rtcpPort: 30011, rtcpAddress: '198.51.100.77' });
  t.match(r.value.codecs, [{ payloadType: 18, name: 'G729', clockRate: 8000, fmtp: 'annexb=no' }, { payloadType: 0, name: 'PCMU' }, { name: 'telephone-event' }]);
});

t.test('mediaTarget: rtcp-mux and a=rtcp with an address', async (t) => {
  const r = mediaTarget(MUX);
  if (!r.ok) throw r.error;
  t.match(r.value, { rtpPort: 24680, rtcpPort: 24680, rtcpMux: true, rtcpAddress: '203.0.113.5' });
  t.same(r.value.codecs.map((c) => c.name), ['G722', 'PCMU', 'PCMA', 'CN', 'telephone-event']);
});

t.test('mediaTarget: IPv6 c=IN IP6, a=rtcp with its own IPv6 address', async (t) => {
  const r = mediaTarget(IPV6);
  if (!r.ok) throw r.error;
  t.match(r.value, { address: '2001:db8::10', family: 6, rtpPort: 5004, rtcpPort: 5005, rtcpAddress: '2001:db8::11' });
});

t.test('mediaTarget: hold variants', async (t) => {
  const cases: Array<[string, string, object]> = [
    ['a=sendonly', ASTERISK.replace('a=sendrecv', 'a=sendonly'), { direction: 'sendonly', hold: true }],
    ['a=recvonly', ASTERISK.replace('a=sendrecv', 'a=recvonly'), { direction: 'recvonly', hold: false }],
    ['a=inactive', ASTERISK.replace('a=sendrecv', 'a=inactive'), { direction: 'inactive', hold: true }],
    ['c=0.0.0.0 (RFC 2543 hold)', ASTERISK.replace('c=IN IP4 10.1.2.3', 'c=IN IP4 0.0.0.0'), { address: '0.0.0.0', direction: 'inactive', hold: true }],
    ['port 0 (rejected)', ASTERISK.replace('m=audio 16384', 'm=audio 0'), { rtpPort: 0, rtcpPort: 0, rejected: true, direction: 'inactive' }],
    ['session-level a=sendonly', ASTERISK.replace('a=sendrecv\r\n', '').replace('t=0 0', 't=0 0\r\na=sendonly'), { direction: 'sendonly', hold: true }],
    ['media-level overrides session-level', ASTERISK.replace('t=0 0', 't=0 0\r\na=inactive'), { direction: 'sendrecv' }],
  ];
  for (const [name, body, want] of cases) {
    const r = mediaTarget(body);
    t.ok(r.ok, name);
    if (r.ok) t.match(r.value, want, name);
  }
});

t.test('mediaTarget: the first audio m-line even after video', async (t) => {
  const videoFirst = WITH_VIDEO.replace(/m=audio[\s\S]*?(?=m=video)/, '') + 'm=audio 7078 RTP/AVP 0\r\n';
  const r = mediaTarget(videoFirst);
  if (!r.ok) throw r.error;
  t.match(r.value, { rtpPort: 7078, mediaIndex: 1 });
});

t.test('invalid SDP: typed errors as values, never a throw', async (t) => {
  const bad: Array<[string, unknown, string]> = [
    ['empty', '', 'E_SDP_INVALID'],
    ['not SDP', 'INVITE sip:x SIP/2.0\r\n', 'E_SDP_INVALID'],
    ['not a string', undefined, 'E_SDP_INVALID'],
    ['no audio', sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0', 'm=video 5000 RTP/AVP 96'), 'E_SDP_NO_AUDIO'],
    ['no m-lines', sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0'), 'E_SDP_NO_AUDIO'],
    ['no c=', ASTERISK.replace('c=IN IP4 10.1.2.3\r\n', ''), 'E_SDP_INVALID'],
    ['c= not an address', ASTERISK.replace('c=IN IP4 10.1.2.3', 'c=IN IP4 pbx.example.com'), 'E_SDP_INVALID'],
    ['IP4 with an IPv6 address', ASTERISK.replace('c=IN IP4 10.1.2.3', 'c=IN IP4 2001:db8::1'), 'E_SDP_INVALID'],
    ['port out of range', ASTERISK.replace('m=audio 16384', 'm=audio 99999'), 'E_SDP_INVALID'],
    ['no formats', ASTERISK.replace('RTP/AVP 0 8 101', 'RTP/AVP'), 'E_SDP_INVALID'],
  ];
  for (const [name, body, code] of bad) {
    const r = mediaTarget(body as string);
    t.notOk(r.ok, name);
    if (!r.ok) {
      t.equal(r.error.code, code, `${name}: ${r.error.message}`);
      t.equal(r.error.status, 488);
    }
    t.notOk(rewriteSdp(body as string, { address: '127.0.0.1', rtpPort: 40000, rtcpPort: 40001 }).ok, `${name}: rewrite refuses too`);
  }
});

const lines = (s: string): string[] => s.split('\r\n').filter(Boolean);

t.test('rewriteSdp: c= and m= port replaced, everything else byte for byte, CRLF', async (t) => {
  const r = rewriteSdp(ASTERISK, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  if (!r.ok) throw r.error;
  t.ok(r.value.endsWith('\r\n'));
  const want = lines(ASTERISK).map((l) => l.replace('c=IN IP4 10.1.2.3', 'c=IN IP4 192.0.2.50').replace('m=audio 16384', 'm=audio 40000'));
  t.same(lines(r.value), want);
  t.match(mediaTarget(r.value), { ok: true, value: { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001, payloadTypes: [0, 8, 101] } });
});

t.test('rewriteSdp: media-level and session-level c= both replaced, a=rtcp updated, unknown attributes kept', async (t) => {
  const r = rewriteSdp(CARRIER, { address: '192.0.2.50', rtpPort: 41000, rtcpPort: 41001 });
  if (!r.ok) throw r.error;
  t.equal(lines(r.value).filter((l) => l === 'c=IN IP4 192.0.2.50').length, 2);
  t.ok(lines(r.value).includes('a=rtcp:41001'));
  t.ok(lines(r.value).includes('a=x-sonus-private:keep-me'));
  t.ok(lines(r.value).includes('a=fmtp:18 annexb=no'));
  t.equal(lines(r.value).length, lines(CARRIER).length);
});

t.test('rewriteSdp: rtcp-mux kept; a mux-style a=rtcp (= RTP port) follows the new RTP port, with our address', async (t) => {
  const r = rewriteSdp(MUX, { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001 });
  if (!r.ok) throw r.error;
  t.ok(lines(r.value).includes('a=rtcp:42000 IN IP4 192.0.2.50'));
  t.ok(lines(r.value).includes('a=rtcp-mux'));
});

t.test('rewriteSdp: a=rtcp added only when our RTCP port is not RTP + 1', async (t) => {
  const r = rewriteSdp(ASTERISK, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40011 });
  if (!r.ok) throw r.error;
  t.ok(lines(r.value).includes('a=rtcp:40011'));
  t.match(mediaTarget(r.value), { ok: true, value: { rtcpPort: 40011 } });
});

t.test('rewriteSdp: IPv6 in, IPv4 relay address out (and the reverse)', async (t) => {
  const r = rewriteSdp(IPV6, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  if (!r.ok) throw r.error;
  t.ok(lines(r.value).includes('c=IN IP4 192.0.2.50'));
  t.ok(lines(r.value).includes('a=rtcp:40001 IN IP4 192.0.2.50'));
  t.ok(lines(r.value).includes('o=- 1 1 IN IP6 2001:db8::10'), 'o= untouched');
  const back = rewriteSdp(ASTERISK, { address: '2001:db8::99', rtpPort: 40000, rtcpPort: 40001 });
  t.ok(back.ok && lines(back.value).includes('c=IN IP6 2001:db8::99'));
});

t.test('rewriteSdp: other m-lines rejected with port 0, their attributes kept', async (t) => {
  const r = rewriteSdp(WITH_VIDEO, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  if (!r.ok) throw r.error;
  t.ok(lines(r.value).includes('m=audio 40000 RTP/AVP 0 96'));
  t.ok(lines(r.value).includes('m=video 0 RTP/AVP 97'));
  t.ok(lines(r.value).includes('a=fmtp:97 profile-level-id=42e01f'));
  t.ok(lines(r.value).includes('a=fmtp:96 useinbandfec=1'));
});

t.test('rewriteSdp: hold kept (direction untouched), a rejected audio stream stays at port 0', async (t) => {
  const held = rewriteSdp(ASTERISK.replace('a=sendrecv', 'a=sendonly'), { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  t.ok(held.ok && lines(held.value).includes('a=sendonly'));
  const rejected = rewriteSdp(ASTERISK.replace('m=audio 16384', 'm=audio 0'), { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  t.ok(rejected.ok && lines(rejected.value).includes('m=audio 0 RTP/AVP 0 8 101'));
});

t.test('rewriteSdp: o= version bumped only when asked, exactly, even beyond 2^53', async (t) => {
  const same = rewriteSdp(ASTERISK, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  t.ok(same.ok && lines(same.value).includes('o=- 1718123456 1718123456 IN IP4 10.1.2.3'));
  const bumped = rewriteSdp(ASTERISK, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001, bumpVersion: true });
  t.ok(bumped.ok && lines(bumped.value).includes('o=- 1718123456 1718123457 IN IP4 10.1.2.3'));
  const big = ASTERISK.replace('o=- 1718123456 1718123456', 'o=- 9007199254740993 9007199254740993');
  const bigBumped = rewriteSdp(big, { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001, bumpVersion: true });
  t.ok(bigBumped.ok && lines(bigBumped.value).includes('o=- 9007199254740993 9007199254740994 IN IP4 10.1.2.3'));
});

t.test('rewriteSdp: LF-only input is accepted and written with CRLF', async (t) => {
  const r = rewriteSdp(ASTERISK.replace(/\r\n/g, '\n'), { address: '192.0.2.50', rtpPort: 40000, rtcpPort: 40001 });
  t.ok(r.ok && r.value.includes('m=audio 40000 RTP/AVP 0 8 101\r\n'));
});

t.test('rewriteSdp: an address that is not an IP is refused', async (t) => {
  const r = rewriteSdp(ASTERISK, { address: 'relay.local', rtpPort: 40000, rtcpPort: 40001 });
  t.notOk(r.ok);
  if (!r.ok) t.equal(r.error.code, 'E_MEDIA_REMOTE_INVALID');
});

t.test('rewriteSdp rtcpMux "accept": a=rtcp-mux added (or kept in place), a=rtcp follows the RTP port, rtcp-mux-only dropped', async (t) => {
  const r = rewriteSdp(ASTERISK, { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'accept' });
  if (!r.ok) throw r.error;
  t.equal(lines(r.value).filter((l) => l === 'a=rtcp-mux').length, 1, 'added once');
  t.notOk(lines(r.value).some((l) => l.startsWith('a=rtcp:')), 'no separate RTCP port announced');
  const m = rewriteSdp(MUX.replace('a=rtcp-mux', 'a=rtcp-mux\r\na=rtcp-mux-only'), { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'accept' });
  if (!m.ok) throw m.error;
  const l = lines(m.value);
  t.ok(l.includes('a=rtcp:42000 IN IP4 192.0.2.50'), 'a=rtcp equals the RTP port');
  t.equal(l.indexOf('a=rtcp-mux'), l.indexOf('a=rtcp:42000 IN IP4 192.0.2.50') + 1, 'kept where it was');
  t.notOk(l.includes('a=rtcp-mux-only'));
});

t.test('rewriteSdp rtcpMux "offer": a=rtcp-mux, and a=rtcp names the separate RTCP port to fall back on', async (t) => {
  const r = rewriteSdp(MUX, { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'offer' });
  if (!r.ok) throw r.error;
  t.ok(lines(r.value).includes('a=rtcp:42001 IN IP4 192.0.2.50'));
  t.equal(lines(r.value).filter((l) => l === 'a=rtcp-mux').length, 1);
  const plain = rewriteSdp(CARRIER, { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'offer' });
  if (!plain.ok) throw plain.error;
  t.ok(lines(plain.value).includes('a=rtcp-mux'), 'added to an SDP that had none');
});

t.test('rewriteSdp rtcpMux "none": a=rtcp-mux / rtcp-mux-only removed, a mux-style a=rtcp now names the RTCP port', async (t) => {
  const r = rewriteSdp(MUX.replace('a=rtcp-mux', 'a=rtcp-mux\r\na=rtcp-mux-only'), { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'none' });
  if (!r.ok) throw r.error;
  const l = lines(r.value);
  t.notOk(l.some((x) => x.startsWith('a=rtcp-mux')));
  t.ok(l.includes('a=rtcp:42001 IN IP4 192.0.2.50'));
  t.ok(l.includes('a=ptime:20'), 'other lines kept');
});

t.test('rewriteSdp rtcpMux only touches the anchored audio stream; a rejected stream gets no a=rtcp-mux', async (t) => {
  const r = rewriteSdp(WITH_VIDEO.replace('a=fmtp:97 profile-level-id=42e01f', 'a=fmtp:97 profile-level-id=42e01f\r\na=rtcp-mux'), { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'none' });
  if (!r.ok) throw r.error;
  t.equal(lines(r.value).at(-1), 'a=rtcp-mux', 'the (rejected) video section is copied as it was');
  const rej = rewriteSdp(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 0 RTP/AVP 0'), { address: '192.0.2.50', rtpPort: 42000, rtcpPort: 42001, rtcpMux: 'accept' });
  if (!rej.ok) throw rej.error;
  t.notOk(lines(rej.value).includes('a=rtcp-mux'));
});
