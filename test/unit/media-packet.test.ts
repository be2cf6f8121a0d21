import t from 'tap';
import { isRtcp, parseRtcp, parseRtp, rtpHeaderLength } from '../../src/media/rtp/packet';
import { buildRtcpRr, buildRtcpSr, buildRtp } from '../../src/media/rtp/build';

/** A PCMU packet written byte by byte (not with our builder), as seen on the wire. */
function handMade(): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80; // V=2, P=0, X=0, CC=0
  b[1] = 0x80 | 0; // M=1, PT=0
  b[2] = 0x12; b[3] = 0x34; // seq 0x1234
  b.writeUInt32BE(0xdeadbeef, 4);
  b.writeUInt32BE(0x01020304, 8);
  return b;
}

t.test('RTP: every header field of a hand-made PCMU packet', async (t) => {
  const h = parseRtp(handMade());
  t.ok(h);
  t.match(h, {
    version: 2, padding: false, extension: false, csrcCount: 0, marker: true, payloadType: 0,
    sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, headerLength: 12, payloadLength: 160,
  });
});

t.test('RTP: CSRC list, header extension and padding are accounted for', async (t) => {
  const b = Buffer.alloc(12 + 8 + 4 + 8 + 20 + 4);
  b[0] = 0x80 | 0x20 | 0x10 | 2; // padding, extension, 2 CSRCs
  b[1] = 8;
  b.writeUInt32BE(111, 12);
  b.writeUInt32BE(222, 16);
  b.writeUInt16BE(0xbede, 20); // one-byte extension profile
  b.writeUInt16BE(2, 22); // 2 words
  b[b.length - 1] = 4; // 4 bytes of padding
  const h = parseRtp(b);
  t.ok(h);
  t.same(h?.csrcs, [111, 222]);
  t.equal(h?.headerLength, 12 + 8 + 4 + 8);
  t.equal(h?.paddingLength, 4);
  t.equal(h?.payloadLength, 20);
  t.equal(h?.payloadType, 8);
});

t.test('RTP: short, wrong version, overrunning CSRC/extension/padding, RTCP types are rejected', async (t) => {
  t.equal(rtpHeaderLength(Buffer.alloc(11)), -1, 'shorter than 12 bytes');
  const v1 = handMade(); v1[0] = 0x40;
  t.equal(parseRtp(v1), undefined, 'version 1');
  const cc = Buffer.alloc(16); cc[0] = 0x80 | 3;
  t.equal(rtpHeaderLength(cc), -1, '3 CSRCs in 16 bytes');
  const ext = Buffer.alloc(16); ext[0] = 0x90; ext.writeUInt16BE(10, 14);
  t.equal(rtpHeaderLength(ext), -1, 'extension longer than the packet');
  const pad0 = Buffer.alloc(20); pad0[0] = 0xa0; pad0[19] = 0;
  t.equal(rtpHeaderLength(pad0), -1, 'padding count 0');
  const padBig = Buffer.alloc(20); padBig[0] = 0xa0; padBig[19] = 50;
  t.equal(rtpHeaderLength(padBig), -1, 'padding longer than the payload');
  const rr = buildRtcpRr(1, []);
  t.equal(rtpHeaderLength(Buffer.concat([rr, Buffer.alloc(8)])), -1, 'an RTCP RR is not RTP');
});

t.test('RFC 5761 demux: second octet 192–223 is RTCP, RTP payload types are not', async (t) => {
  t.ok(isRtcp(buildRtcpRr(1, [])));
  t.ok(isRtcp(buildRtcpSr(1, { ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 })));
  for (const pt of [0, 8, 9, 18, 96, 101, 127]) {
    t.notOk(isRtcp(buildRtp({ payloadType: pt, sequence: 1, timestamp: 1, ssrc: 1, marker: true }, 160)), `PT ${pt} with marker`);
    t.notOk(isRtcp(buildRtp({ payloadType: pt, sequence: 1, timestamp: 1, ssrc: 1 }, 160)), `PT ${pt}`);
  }
  t.notOk(isRtcp(Buffer.alloc(1)));
});

t.test('RTCP: hand-made RR block: fraction, signed cumulative loss, ext seq, jitter', async (t) => {
  const b = Buffer.alloc(32);
  b[0] = 0x81; b[1] = 201; b.writeUInt16BE(7, 2); b.writeUInt32BE(0xaaaa, 4);
  b.writeUInt32BE(0xbbbb, 8);
  b[12] = 64; // 64/256 = 25 %
  b[13] = 0xff; b[14] = 0xff; b[15] = 0xfe; // −2 (duplicates)
  b.writeUInt32BE(0x00010005, 16);
  b.writeUInt32BE(37, 20);
  const p = parseRtcp(b);
  t.equal(p?.length, 1);
  const rr = p?.[0];
  if (rr?.type !== 'RR') throw new Error('expected RR');
  t.equal(rr.ssrc, 0xaaaa);
  t.match(rr.reports[0], { ssrc: 0xbbbb, fractionLost: 0.25, cumulativeLost: -2, extendedHighestSeq: 65541, jitter: 37 });
});

t.test('RTCP: compound SR + RR + SDES round-trips through the builders', async (t) => {
  const block = { ssrc: 9, fractionLost: 0.05078125, cumulativeLost: 1234, extendedHighestSeq: 70000, jitter: 12, lastSr: 5, delaySinceLastSr: 6 };
  const sr = buildRtcpSr(7, { ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 500, octetCount: 80000 }, [block]);
  const rr = buildRtcpRr(7, [block, { ...block, ssrc: 10 }]);
  const sdes = Buffer.from([0x81, 202, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0]);
  const p = parseRtcp(Buffer.concat([sr, rr, sdes]));
  t.equal(p?.length, 3);
  t.match(p?.[0], { type: 'SR', ssrc: 7, sender: { packetCount: 500, octetCount: 80000 }, reports: [block] });
  t.match(p?.[1], { type: 'RR', reports: [{ ssrc: 9 }, { ssrc: 10 }] });
  t.match(p?.[2], { type: 'other', packetType: 202, ssrc: 7 });
});

t.test('RTCP: truncated, trailing bytes, bad version, truncated report blocks are rejected', async (t) => {
  const rr = buildRtcpRr(1, [{ ssrc: 2, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }]);
  t.equal(parseRtcp(rr.subarray(0, rr.length - 4)), undefined, 'length runs past the buffer');
  t.equal(parseRtcp(Buffer.concat([rr, Buffer.alloc(3)])), undefined, 'trailing bytes');
  const v1 = Buffer.from(rr); v1[0] = 0x41;
  t.equal(parseRtcp(v1), undefined, 'version 1');
  const lying = Buffer.from(rr); lying[0] = 0x82; // claims 2 blocks, holds 1
  t.equal(parseRtcp(lying), undefined, 'report count beyond the packet');
  t.equal(parseRtcp(Buffer.alloc(0)), undefined, 'empty');
});
