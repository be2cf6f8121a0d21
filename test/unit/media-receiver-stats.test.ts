import t from 'tap';
import { ReceiverStats, MAX_DROPOUT } from '../../src/media/rtp/receiver-stats';
import { seededRandom } from '../../src/routing';
import { buildRtp } from '../../src/media/rtp/build';

const SSRC = 0x1234;

/** Feeds seqs (mod 2^16) with PCMU timing: 20 ms apart, timestamp +160. */
function feed(s: ReceiverStats, seqs: readonly number[], t0 = 0): void {
  seqs.forEach((seq, i) => s.onRtp(seq & 0xffff, (seq * 160) >>> 0, SSRC, 172, t0 + i * 20));
}
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

t.test('probation: the first packet (MIN_SEQUENTIAL = 2) is not counted; no loss in order', async (t) => {
  const s = new ReceiverStats();
  t.notOk(s.onRtp(100, 0, SSRC, 172, 0), 'first packet on probation');
  t.ok(s.onRtp(101, 160, SSRC, 172, 20), 'second validates the source');
  feed(s, range(102, 98), 40);
  const snap = s.snapshot();
  t.match(snap, { expected: 99, received: 99, lost: 0, fractionLost: 0, packets: 100, bytes: 17200, probation: false, ssrc: SSRC });
});

t.test('probation restarts on a gap; only in-sequence packets validate', async (t) => {
  const s = new ReceiverStats();
  s.onRtp(10, 0, SSRC, 12, 0);
  s.onRtp(12, 0, SSRC, 12, 20); // out of sequence: probation again from 12
  t.ok(s.snapshot().probation);
  t.ok(s.onRtp(13, 0, SSRC, 12, 40));
  t.equal(s.expected, 1);
});

t.test('16-bit wrap-around: cycles counted, expected continues past 65535', async (t) => {
  const s = new ReceiverStats();
  feed(s, range(65500, 200));
  t.match(s.snapshot(), { expected: 199, received: 199, lost: 0 });
  const lossy = new ReceiverStats();
  feed(lossy, range(65530, 20).filter((q) => q !== 65535 && q !== 65536 && q !== 65540));
  t.match(lossy.snapshot(), { expected: 19, received: 16, lost: 3 }, 'losses across the wrap, including seq 65535 and 0');
});

t.test('reordering: counted, not lost; `late` counts them', async (t) => {
  const seqs = range(1, 100);
  for (let i = 10; i < 90; i += 10) [seqs[i], seqs[i + 1]] = [seqs[i + 1]!, seqs[i]!];
  const s = new ReceiverStats();
  feed(s, seqs);
  t.match(s.snapshot(), { expected: 99, received: 99, lost: 0, late: 8 });
});

t.test('duplicates: received > expected → lost negative, reported fraction clamped to 0', async (t) => {
  const s = new ReceiverStats();
  feed(s, [...range(1, 50), 20, 21, 22, 23, 24, ...range(51, 50)]);
  const snap = s.snapshot();
  t.equal(snap.expected, 99);
  t.equal(snap.received, 104);
  t.equal(snap.lost, -5);
  t.equal(snap.fractionLost, 0);
  t.equal(s.sample(10_000).fractionLost, 0, 'interval fraction clamped too (A.3)');
});

t.test('large jump: the first packet after it is dropped, the second resyncs; totals survive', async (t) => {
  const s = new ReceiverStats();
  feed(s, range(1, 100)); // expected 99
  const jump = 100 + MAX_DROPOUT + 5000;
  t.notOk(s.onRtp(jump, 0, SSRC, 12, 5000), 'a lone far packet is ignored (bad_seq)');
  t.ok(s.onRtp(jump + 1, 160, SSRC, 12, 5020), 'its successor restarts the sequence space');
  feed(s, range(jump + 2, 50), 5040);
  const snap = s.snapshot();
  t.equal(snap.resyncs, 1);
  t.equal(snap.expected, 99 + 51);
  t.equal(snap.received, 99 + 51);
});

t.test('a stray far packet between good ones does not resync', async (t) => {
  const s = new ReceiverStats();
  feed(s, [...range(1, 50), 30000, ...range(51, 50)]);
  t.match(s.snapshot(), { expected: 99, received: 99, resyncs: 0 });
});

t.test('SSRC change: new source on probation, earlier totals kept', async (t) => {
  const s = new ReceiverStats();
  feed(s, range(1, 50).filter((q) => q !== 25));
  s.onRtp(7000, 0, 0x9999, 172, 2000);
  s.onRtp(7001, 160, 0x9999, 172, 2020);
  s.onRtp(7003, 480, 0x9999, 172, 2060);
  const snap = s.snapshot();
  t.equal(snap.ssrcChanges, 1);
  t.equal(snap.ssrc, 0x9999);
  t.equal(snap.expected, 49 + 3, "2…50 from the first source, 7001…7003 from the second");
  t.equal(snap.lost, 1 + 1);
});

for (const lossPct of [0, 5, 20]) {
  t.test(`loss ${lossPct} % (seeded PRNG, 20 000 packets) measured within ±1 point, exactly as dropped`, async (t) => {
    const rnd = seededRandom(1000 + lossPct);
    const s = new ReceiverStats();
    let dropped = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      // Keep the first two (probation) and the last packet so `expected` spans the whole run.
      if (i > 1 && i < n - 1 && rnd() < lossPct / 100) {
        dropped++;
        continue;
      }
      s.onRtp((5000 + i) & 0xffff, i * 160, SSRC, 172, i * 20);
    }
    const snap = s.snapshot();
    t.equal(snap.expected, n - 1);
    t.equal(snap.lost, dropped, 'lost = packets actually dropped');
    t.ok(Math.abs(snap.fractionLost * 100 - lossPct) <= 1, `fraction ${(snap.fractionLost * 100).toFixed(2)} % vs ${lossPct} %`);
  });
}

t.test('interval sampling: deltas and A.3 fraction per interval, cumulative totals', async (t) => {
  const s = new ReceiverStats({ now: 0 });
  feed(s, range(1, 101)); // t = 0 … 2000 ms, 100 counted
  const first = s.sample(2000);
  t.match(first, { intervalMs: 2000, expected: 100, received: 100, lost: 0, fractionLost: 0, totals: { expected: 100, received: 100 } });
  // next 100 with every 10th lost
  const seqs = range(102, 100).filter((q) => q % 10 !== 0);
  feed(s, [...seqs, 202], 2020);
  const second = s.sample(4000);
  t.equal(second.intervalMs, 2000);
  t.equal(second.expected, 101);
  t.equal(second.lost, 10);
  t.ok(Math.abs(second.fractionLost - 10 / 101) < 1e-9);
  t.match(second.totals, { expected: 201, received: 191, lost: 10 });
  const idle = s.sample(5000);
  t.match(idle, { expected: 0, received: 0, lost: 0, fractionLost: 0 }, 'nothing expected → fraction 0');
});

t.test('jitter: equals RFC 3550 A.8 computed independently on synthetic arrival times', async (t) => {
  const rnd = seededRandom(42);
  const clockRate = 8000;
  const s = new ReceiverStats({ clockRate });
  let ref = 0;
  let prevTransit: number | undefined;
  for (let i = 0; i < 2000; i++) {
    const ts = (0xfffff000 + i * 160) >>> 0; // crosses the 32-bit timestamp wrap
    const arrival = 1000 + i * 20 + rnd() * 8; // up to 8 ms of network jitter
    s.onRtp(i, ts, SSRC, 172, arrival);
    if (i === 0) continue; // probation packet (not used for jitter)
    // A.8 with an unwrapped timestamp: transit = arrival (in timestamp units) − timestamp.
    const transit = (arrival * clockRate) / 1000 - (0xfffff000 + i * 160);
    if (prevTransit !== undefined) ref += (Math.abs(transit - prevTransit) - ref) / 16;
    prevTransit = transit;
  }
  const snap = s.snapshot();
  t.ok(Math.abs(snap.jitter - ref) < 1e-6, `jitter ${snap.jitter} units vs reference ${ref}`);
  t.ok(Math.abs(snap.jitterMs - (ref / clockRate) * 1000) < 1e-6);
  t.ok(snap.jitterMs > 1 && snap.jitterMs < 4, `uniform 0–8 ms noise gives ~2.7 ms jitter (got ${snap.jitterMs.toFixed(2)})`);
});

t.test('jitter is ~0 for perfectly paced packets; onPacket validates buffers', async (t) => {
  const s = new ReceiverStats();
  for (let i = 0; i < 100; i++) t.ok(s.onPacket(buildRtp({ payloadType: 0, sequence: i, timestamp: i * 160, ssrc: 5 }, 160), i * 20) || i === 0);
  t.ok(s.snapshot().jitter < 1e-9);
  t.notOk(s.onPacket(Buffer.alloc(8), 5000), 'short buffer rejected');
  t.equal(s.snapshot().packets, 100);
});

t.test('remote RTCP views are recorded with jitter in ms', async (t) => {
  const s = new ReceiverStats();
  s.recordRemoteReport(77, { ssrc: SSRC, fractionLost: 0.125, cumulativeLost: 40, extendedHighestSeq: 1000, jitter: 80, lastSr: 0, delaySinceLastSr: 0 }, 123);
  s.recordSenderReport(SSRC, { ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: 900, octetCount: 9 }, 124);
  t.match(s.snapshot().remoteReport, { at: 123, reporterSsrc: 77, fractionLost: 0.125, cumulativeLost: 40, jitterMs: 10 });
  t.match(s.snapshot().remoteSenderReport, { packetCount: 900 });
});
