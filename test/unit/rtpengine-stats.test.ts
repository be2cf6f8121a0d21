/** rtpengine query replies → counters → MediaCdr and interval samples: pure, no daemon. */
import t from 'tap';
import type { NgDict } from '../../src/media/rtpengine/ng-client';
import { parseQuery } from '../../src/media/rtpengine/query';
import { intervalSample, toMediaCdr } from '../../src/media/rtpengine/stats';

const stream = (packets: number, flags: string[], ssrc?: number, last = 1700000004): NgDict => ({
  'local port': 30000, flags, 'last packet': last, stats: { packets, bytes: packets * 172, errors: 0 }, ...(ssrc === undefined ? {} : { SSRC: ssrc }),
});
const tag = (name: string, rtp: number, ssrc: number | undefined, rtcp = 0): NgDict => ({
  tag: name, created: 1700000000, medias: [{ index: 1, type: 'audio', streams: [stream(rtp, ['RTP', 'filled'], ssrc), stream(rtcp, ['RTCP', 'filled'])] }],
});
/** A reply as rtpengine 10.5 shapes it: caller "A" (SSRC 111), carrier "B.1" (SSRC 222). */
function reply(o: { a: number; b: number; ssrc?: NgDict }): NgDict {
  return { result: 'ok', created: 1700000000, created_us: 250000, SSRC: o.ssrc ?? {}, tags: { A: tag('A', o.a, 111, 3), 'B.1': tag('B.1', o.b, 222, 4) } };
}
const rr = (lost: number, pct: number, jitter: number): NgDict => ({ 'cumulative loss': lost, 'average MOS': { MOS: 43, jitter, 'packet loss': pct, samples: 3 } });

t.test('parseQuery: per-leg RTP/RTCP packets, SSRC, last packet; RTCP views by reporter SSRC', async (t) => {
  const s = parseQuery(reply({ a: 200, b: 180, ssrc: { 111: rr(20, 10, 3) } }));
  t.equal(s.createdMs, 1700000000250);
  t.same(s.legs.get('A'), { tag: 'A', rtpPackets: 200, rtcpPackets: 3, ssrc: 111, lastPacketMs: 1700000004000 });
  t.same(s.legs.get('B.1'), { tag: 'B.1', rtpPackets: 180, rtcpPackets: 4, ssrc: 222, lastPacketMs: 1700000004000 });
  t.same(s.rtcp.get(111), { cumulativeLost: 20, fractionLost: 0.1, jitterMs: 3 });
});

t.test('parseQuery: odd or missing fields are skipped, not thrown', async (t) => {
  const s = parseQuery({ result: 'ok', tags: { X: 'nonsense', Y: { medias: 'no' }, Z: { tag: 'Z', medias: [{ streams: [7, { stats: { packets: 'x' } }] }] } }, SSRC: { abc: {}, 5: 'no' } });
  t.equal(s.createdMs, undefined);
  t.same(s.legs.get('Y'), { tag: 'Y', rtpPackets: 0, rtcpPackets: 0 });
  t.same(s.legs.get('Z'), { tag: 'Z', rtpPackets: 0, rtcpPackets: 0 });
  t.equal(s.rtcp.size, 0);
  t.same(parseQuery({ result: 'ok' }).legs.size, 0);
});

t.test('toMediaCdr: received from rtpengine; loss from the receiving endpoint\'s RRs', async (t) => {
  // 111 (the caller) reports 20 lost of the carrier's stream; 222 (the carrier) reports none.
  const cdr = toMediaCdr(parseQuery(reply({ a: 200, b: 180, ssrc: { 111: rr(20, 10, 3), 222: rr(0, 0, 1) } })), 'A', 'B.1');
  t.same(cdr.fromCarrier, { expected: 200, received: 180, lost: 20, fractionLost: 0.1, jitterMs: 3, rtcpFractionLost: 0.1 });
  t.same(cdr.fromCaller, { expected: 200, received: 200, lost: 0, fractionLost: 0, jitterMs: 1, rtcpFractionLost: 0 });
  t.equal(cdr.mediaDurationMs, 3750);
  t.equal(cdr.mode, 'rtpengine');
});

t.test('toMediaCdr: without RTCP, expected = received and no rtcpFractionLost; without an answer, no carrier leg', async (t) => {
  const cdr = toMediaCdr(parseQuery(reply({ a: 50, b: 0 })), 'A', 'B.1');
  t.same(cdr.fromCaller, { expected: 50, received: 50, lost: 0, fractionLost: 0, jitterMs: 0 });
  t.same(cdr.fromCarrier, { expected: 0, received: 0, lost: 0, fractionLost: 0, jitterMs: 0 });
  const unanswered = toMediaCdr(parseQuery(reply({ a: 5, b: 0 })), 'A', undefined);
  t.ok(unanswered.fromCaller);
  t.equal(unanswered.fromCarrier, undefined);
  t.same(toMediaCdr(parseQuery({ result: 'ok' }), 'A', 'B.1'), { mode: 'rtpengine' });
});

t.test('intervalSample: deltas of (received + lost) and lost; undefined without the caller\'s RRs; re-bases on reset', async (t) => {
  const none = intervalSample(parseQuery(reply({ a: 100, b: 100 })), 'A', 'B.1', undefined);
  t.equal(none.sample, undefined);
  t.equal(none.base, undefined);
  const first = intervalSample(parseQuery(reply({ a: 100, b: 95, ssrc: { 111: rr(5, 5, 1) } })), 'A', 'B.1', undefined);
  t.same(first.sample, { expected: 100, lost: 5 });
  const second = intervalSample(parseQuery(reply({ a: 200, b: 185, ssrc: { 111: rr(15, 10, 1) } })), 'A', 'B.1', first.base);
  t.same(second.sample, { expected: 100, lost: 10 });
  const reset = intervalSample(parseQuery(reply({ a: 250, b: 235, ssrc: { 111: rr(2, 0, 1) } })), 'A', 'B.1', second.base);
  t.same(reset.sample, { expected: 50, lost: 0 }, 'a cumulative loss that went down counts no negative loss');
  t.same(reset.base, { received: 235, lost: 2 });
  t.equal(intervalSample(parseQuery(reply({ a: 1, b: 1, ssrc: { 111: rr(0, 0, 0) } })), 'A', 'gone', undefined).sample, undefined, 'unknown carrier tag');
});
