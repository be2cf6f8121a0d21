/** Pure parts of the simulator's RTP: packet codec, source, pacing, the jitter line's ordering, RFC 3550 receive counters, port ranges, behaviour keys. */
import t from 'tap';
import { readRtp, writeRtp } from '../../src/sim/rtp/packet';
import { RtpSource } from '../../src/sim/rtp/source';
import { MAX_CATCH_UP, packetsDue } from '../../src/sim/rtp/pacer';
import { departureTime } from '../../src/sim/rtp/delay-line';
import { ReceiveStats } from '../../src/sim/rtp/receive-stats';
import { checkRange, pairCount } from '../../src/sim/rtp/ports';
import { seededRandom } from '../../src/sim/prng';
import { applyPatch, DEFAULT_BEHAVIOUR, rtpSettings, validatePatch } from '../../src/sim/behaviour';
import { remoteFromSdp } from '../../src/sim/sdp';

t.test('RTP header: written and read back; non-RTP and RTCP refused', async (t) => {
  const b = writeRtp({ payloadType: 0, marker: true, seq: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef }, Buffer.alloc(160, 0xff));
  t.equal(b.length, 172);
  t.same(readRtp(b), { payloadType: 0, marker: true, seq: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef });
  t.equal(readRtp(Buffer.alloc(11, 0x80)), undefined, 'too short');
  const v1 = Buffer.from(b);
  v1[0] = 0x40;
  t.equal(readRtp(v1), undefined, 'version 1');
  const rtcp = Buffer.from(b);
  rtcp[1] = 200; // RTCP SR on a muxed port: PT 72 with the marker bit
  t.equal(readRtp(rtcp), undefined, 'RTCP');
  const cc = Buffer.from(b.subarray(0, 12));
  cc[0] = 0x82; // two CSRCs announced, none present
  t.equal(readRtp(cc), undefined, 'CSRC list longer than the packet');
});

t.test('RtpSource: 160-byte PCMU silence, seq +1 and timestamp +160 with wrap, marker only first', async (t) => {
  const s = new RtpSource(seededRandom(1), 0);
  const a = readRtp(s.next())!;
  const b = readRtp(s.next())!;
  t.equal(a.marker, true);
  t.equal(b.marker, false);
  t.equal(b.seq, (a.seq + 1) & 0xffff);
  t.equal(b.timestamp, (a.timestamp + 160) >>> 0);
  t.equal(a.ssrc, b.ssrc);
  t.equal(s.next().subarray(12).every((x) => x === 0xff), true, 'µ-law silence');
  t.equal(new RtpSource(seededRandom(1), 8).next()[12], 0xd5, 'A-law silence');
  t.equal(new RtpSource(seededRandom(1)).ssrc, new RtpSource(seededRandom(1)).ssrc, 'seeded: reproducible');
});

t.test('packetsDue: one at start, then one per interval, capped catch-up', async (t) => {
  t.equal(packetsDue(1000, 999, 0, 20), 0, 'not started');
  t.equal(packetsDue(1000, 1000, 0, 20), 1, 'first packet at once');
  t.equal(packetsDue(1000, 1019, 1, 20), 0);
  t.equal(packetsDue(1000, 1020, 1, 20), 1);
  t.equal(packetsDue(1000, 1065, 2, 20), 2, 'a late tick catches up');
  t.equal(packetsDue(1000, 3000, 3, 20), MAX_CATCH_UP, 'a long stall does not burst');
  // 10 s of ticks every ~10 ms with drift: exactly 500 packets (+1 at t=0).
  let sent = 0;
  for (let now = 1000; now <= 11_000; now += 10.3) sent += packetsDue(1000, now, sent, 20);
  t.equal(sent, 500);
});

t.test('departureTime: within 0..jitter of now, never before the previous packet', async (t) => {
  const r = seededRandom(5);
  let last = 0;
  let overtaken = 0;
  let early = 0;
  let tooLate = 0;
  for (let i = 0; i < 2000; i++) {
    const now = i * 20;
    const at = departureTime(now, 50, r, last);
    if (at < now) early++;
    if (at < last) overtaken++;
    if (at > Math.max(now + 50, last)) tooLate++;
    last = at;
  }
  t.same({ early, overtaken, tooLate }, { early: 0, overtaken: 0, tooLate: 0 }, 'never early, order kept, delay bounded');
  t.equal(departureTime(100, 0, r, 0), 100, 'no jitter: at once');
});

t.test('ReceiveStats: loss, wrap-around, duplicates, late packets, RFC 3550 jitter', async (t) => {
  const s = new ReceiveStats();
  let seq = 65500;
  let ts = 1000;
  for (let i = 0; i < 100; i++, seq = (seq + 1) & 0xffff, ts += 160) if (i % 10 !== 3) s.add(seq, ts, i * 20);
  t.match(s.summary(), { received: 90, expected: 100, lost: 10, duplicates: 0 }, 'loss across the 16-bit wrap');
  t.ok(s.summary().jitterMs < 0.01, `steady arrival: ~0 jitter (${s.summary().jitterMs})`);
  s.add((seq - 1) & 0xffff, ts - 160, 2000);
  t.equal(s.summary().duplicates, 1, 'duplicate counted once');
  s.add((seq - 97) & 0xffff, ts, 2001);
  t.match(s.summary(), { received: 91, lost: 9 }, 'a late packet (earlier seq not yet seen) still counts');

  const j = new ReceiveStats();
  for (let i = 0; i < 500; i++) j.add(i, i * 160, i * 20 + (i % 2 ? 10 : 0));
  t.ok(j.summary().jitterMs > 8 && j.summary().jitterMs < 11, `alternating ±10 ms → J ≈ 10 ms (${j.summary().jitterMs.toFixed(2)})`);
  t.equal(j.summary().maxGapMs, 30);
  t.match(new ReceiveStats().summary(), { received: 0, expected: 0, lost: 0 });
});

t.test('port ranges: even RTP ports with their RTCP neighbour', async (t) => {
  t.equal(pairCount({ min: 22000, max: 22001 }), 1);
  t.equal(pairCount({ min: 22001, max: 22003 }), 1, 'odd min rounds up to 22002');
  t.equal(pairCount({ min: 22000, max: 22000 }), 0);
  t.equal(pairCount({ min: 22000, max: 25999 }), 2000);
  t.match(checkRange({ min: 80, max: 90 }), /1024–65535/);
  t.match(checkRange({ min: 30001, max: 30002 }), /no even\/odd port pair/);
  t.equal(checkRange({ min: 30000, max: 30001 }), undefined);
});

t.test('behaviour: rtp keys validated like the others, absent = defaults', async (t) => {
  t.same(validatePatch({ rtp: 'echo', rtpDropPercent: 12.5, rtpJitterMs: 40 }), { ok: true, patch: { rtp: 'echo', rtpDropPercent: 12.5, rtpJitterMs: 40 } });
  const bad = validatePatch({ rtp: 'loud', rtpDropPercent: -1, rtpJitterMs: 2.5 });
  t.notOk(bad.ok);
  if (!bad.ok) {
    t.equal(bad.errors.length, 3);
    t.match(bad.errors.join('\n'), /rtp: "loud" is not one of off\|echo\|send/);
    t.match(bad.errors.join('\n'), /rtpDropPercent: -1 is out of range 0–100/);
    t.match(bad.errors.join('\n'), /rtpJitterMs: 2\.5 is not an integer/);
  }
  t.notOk(validatePatch({ rtpJitterMs: 1001 }).ok, 'jitter capped at 1 s');
  t.same(rtpSettings(DEFAULT_BEHAVIOUR), { mode: 'off', dropPercent: 0, jitterMs: 0 });
  t.same(rtpSettings(applyPatch(DEFAULT_BEHAVIOUR, { rtp: 'send', rtpDropPercent: 5 })), { mode: 'send', dropPercent: 5, jitterMs: 0 });
});

t.test('remoteFromSdp (late-offer ACK): first audio stream with a port', async (t) => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 31000 RTP/AVP 8 101\r\nc=IN IP4 10.0.0.2\r\n';
  t.same(remoteFromSdp(Buffer.from(sdp)), { address: '10.0.0.2', port: 31000, payloadType: 8, codec: 'PCMA' });
  t.equal(remoteFromSdp(Buffer.from('garbage')), undefined);
});
