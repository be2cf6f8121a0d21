/** The simulator's RTCP packets, read back with the relay's own RTCP parser (two independent codecs). */
import t from 'tap';
import { compoundReport, ReportInterval } from '../../src/sim/rtp/rtcp';
import { ReceiveStats } from '../../src/sim/rtp/receive-stats';
import { parseRtcp } from '../../src/media/rtp/packet';

t.test('RR + SDES: one block on the received source with cumulative loss, highest sequence and jitter', async (t) => {
  const stats = new ReceiveStats();
  // 100 packets from seq 65500 (wrapping), 10 of them lost.
  for (let i = 0; i < 100; i++) if (i % 10 !== 5) stats.add((65500 + i) & 0xffff, i * 160, i * 20 + (i % 2));
  const iv = new ReportInterval();
  const fraction = iv.next(stats.summary().expected, stats.summary().received);
  t.equal(fraction, Math.floor((10 * 256) / 100), 'fraction lost of the first interval');
  const p = parseRtcp(compoundReport(0xabc, 'trunkwise-sim@127.0.0.1', Date.now(), { source: 0x1234, stats, fraction }));
  t.ok(p, 'valid compound RTCP');
  t.equal(p!.length, 2);
  t.match(p![0], { type: 'RR', ssrc: 0xabc, reports: [{ ssrc: 0x1234, cumulativeLost: 10, extendedHighestSeq: 0x10000 + ((65500 + 99) & 0xffff), fractionLost: fraction / 256 }] });
  t.ok((p![0] as { reports: { jitter: number }[] }).reports[0]!.jitter > 0, 'jitter carried in timestamp units');
  t.match(p![1], { type: 'other', packetType: 202, ssrc: 0xabc });
  t.equal(iv.next(stats.summary().expected, stats.summary().received), 0, 'nothing new since: fraction 0');
});

t.test('SR when sending, with no block before anything was received', async (t) => {
  const now = Date.UTC(2026, 0, 1);
  const p = parseRtcp(compoundReport(0x77, 'x', now, undefined, { packets: 250, octets: 40000, rtpTimestamp: 123456 }));
  t.match(p?.[0], { type: 'SR', ssrc: 0x77, reports: [], sender: { packetCount: 250, octetCount: 40000, rtpTimestamp: 123456, ntpSeconds: now / 1000 + 2_208_988_800 } });
  t.equal(p?.[1]?.type, 'other');
});
