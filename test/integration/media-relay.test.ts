/**
 * The embedded RTP relay over real UDP sockets on 127.0.0.1: fake caller and carrier endpoints
 * (plain dgram sockets) send PCMU at 50 packets/s through it. Timing assertions are tolerant: the
 * machine is shared, so nothing here asserts speed.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { MediaRelay, type MediaRelayOptions } from '../../src/media/relay/relay';
import type { RelaySession } from '../../src/media/relay/session';
import type { FlowName } from '../../src/media/relay/flow';
import type { LegName } from '../../src/media/relay/leg';
import { PortPool } from '../../src/media/relay/port-pool';
import { MediaError } from '../../src/media/errors';
import { buildRtcpRr, buildRtp, writeRtpHeader } from '../../src/media/rtp/build';
import { isRtcp, parseRtcp } from '../../src/media/rtp/packet';
import { seededRandom } from '../../src/routing';

const HOST = '127.0.0.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds (checked every 20 ms), at most `ms`. */
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

/** A fake SIP endpoint's media: an RTP and an RTCP socket, counting what arrives. */
class Endpoint {
  readonly rtp = dgram.createSocket('udp4');
  readonly rtcp = dgram.createSocket('udp4');
  rtpIn = 0;
  rtcpIn: Buffer[] = [];
  rtcpOnRtpSocket: Buffer[] = [];
  seqsIn = new Set<number>();
  seq = 0;
  readonly ssrc: number;
  private readonly pkt = buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0 }, 160);

  constructor(ssrc: number) {
    this.ssrc = ssrc;
    this.rtp.on('message', (m) => {
      if (isRtcp(m)) this.rtcpOnRtpSocket.push(m);
      else {
        this.rtpIn++;
        this.seqsIn.add(m.readUInt16BE(2));
      }
    });
    this.rtcp.on('message', (m) => this.rtcpIn.push(m));
  }

  async bind(): Promise<this> {
    await Promise.all([new Promise<void>((r) => this.rtp.bind(0, HOST, r)), new Promise<void>((r) => this.rtcp.bind(0, HOST, r))]);
    return this;
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  get rtcpPort(): number {
    return this.rtcp.address().port;
  }

  /** The next PCMU packet (seq +1, timestamp +160); `drop` advances the sequence without sending. */
  send(to: { rtpPort: number }, drop = false, from: dgram.Socket = this.rtp): void {
    const seq = this.seq++;
    if (drop) return;
    writeRtpHeader(this.pkt, { payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: this.ssrc });
    from.send(this.pkt, to.rtpPort, HOST);
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }
}

async function withRelay(t: Test, opts: Partial<MediaRelayOptions> = {}): Promise<MediaRelay> {
  const relay = new MediaRelay({ bindAddress: HOST, portRange: { min: 42000, max: 43999 }, ...opts });
  t.teardown(() => relay.close());
  return relay;
}

/** Opens a session between two fresh endpoints, remotes set from their "SDP". */
async function call(t: Test, relay: MediaRelay, i = 0): Promise<{ s: RelaySession; caller: Endpoint; carrier: Endpoint }> {
  const caller = await new Endpoint(0x1000 + i).bind();
  const carrier = await new Endpoint(0x2000 + i).bind();
  t.teardown(() => {
    caller.close();
    carrier.close();
  });
  const s = await relay.open(`call-${i}`, 'carrier-1');
  t.ok(s.setRemote('a', { address: HOST, rtpPort: caller.rtpPort, rtcpPort: caller.rtcpPort }).ok);
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, rtcpPort: carrier.rtcpPort }).ok);
  return { s, caller, carrier };
}

/** Exactly round(p × n) distinct drop positions out of 2 … n−2 (seeded), so injected loss = p. */
function dropSet(n: number, pct: number, seed: number): Set<number> {
  const rnd = seededRandom(seed);
  const idx = Array.from({ length: n - 3 }, (_, i) => i + 2);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return new Set(idx.slice(0, Math.round((n * pct) / 100)));
}

t.test('20 concurrent calls, 0 / 5 / 20 % loss injected per direction: measured within ±1 point', async (t) => {
  const relay = await withRelay(t);
  const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => call(t, relay, i)));
  t.equal(relay.stats().sessions, 20);
  t.equal(relay.stats().portsInUse, 80);
  const LOSS = [0, 5, 20];
  const N = 250; // 5 s at 50 packets/s
  const plan = calls.map((_, i) => ({ ab: LOSS[i % 3]!, ba: LOSS[(i + 1) % 3]! }));
  const drops = plan.map((p, i) => ({ ab: dropSet(N, p.ab, 100 + i), ba: dropSet(N, p.ba, 200 + i) }));
  for (let k = 0; k < N; k++) {
    calls.forEach(({ s, caller, carrier }, i) => {
      caller.send(s.local('a'), drops[i]!.ab.has(k));
      carrier.send(s.local('b'), drops[i]!.ba.has(k));
    });
    await sleep(20);
  }
  const sent = (ep: Endpoint, d: Set<number>): number => ep.seq - d.size;
  await until(() => calls.every(({ caller, carrier }, i) => carrier.rtpIn >= sent(caller, drops[i]!.ab) && caller.rtpIn >= sent(carrier, drops[i]!.ba)), 3000);
  calls.forEach(({ s, caller, carrier }, i) => {
    const st = s.stats();
    for (const [dir, pct, rx, tx, d] of [['a→b', plan[i]!.ab, carrier, caller, drops[i]!.ab], ['b→a', plan[i]!.ba, caller, carrier, drops[i]!.ba]] as const) {
      const f = st[dir];
      const measured = f.fractionLost * 100;
      t.ok(Math.abs(measured - pct) <= 1, `call ${i} ${dir}: injected ${pct} %, measured ${measured.toFixed(2)} %`);
      t.equal(f.expected, N - 1, `call ${i} ${dir}: expected (first packet is on probation)`);
      t.equal(f.packets, tx.seq - d.size, `call ${i} ${dir}: every sent packet reached the relay`);
      t.equal(f.forwarded, f.packets, `call ${i} ${dir}: all forwarded`);
      t.equal(rx.rtpIn, f.forwarded, `call ${i} ${dir}: the far endpoint got them all`);
      t.equal(f.forwardedBytes, f.forwarded * 172);
      t.ok(f.jitterMs >= 0 && f.jitterMs < 50, `call ${i} ${dir}: jitter ${f.jitterMs.toFixed(2)} ms`);
    }
    t.ok(st.mediaStartedAt !== undefined && st.lastPacketAt !== undefined && st.lastPacketAt >= st.mediaStartedAt);
  });
  // Interval sampling: the whole run in the first sample, nothing in the next.
  const { s } = calls[2]!;
  const first = s.sample();
  t.ok(Math.abs(first['a→b'].fractionLost * 100 - plan[2]!.ab) <= 1);
  t.equal(first['a→b'].totals.expected, N - 1);
  const second = s.sample();
  t.match(second['a→b'], { expected: 0, received: 0, lost: 0, fractionLost: 0 });
  await Promise.all(calls.map(({ s }) => s.close()));
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
});

t.test('latching: the caller sends from another port than its SDP said; we answer there', async (t) => {
  const relay = await withRelay(t);
  const { s, caller, carrier } = await call(t, relay);
  const natted = dgram.createSocket('udp4');
  let nattedIn = 0;
  natted.on('message', () => nattedIn++);
  await new Promise<void>((r) => natted.bind(0, HOST, r));
  t.teardown(() => natted.close());

  // Before the caller sends, carrier media goes to the caller's SDP address.
  for (let k = 0; k < 5; k++) carrier.send(s.local('b'));
  t.ok(await until(() => caller.rtpIn === 5), 'to the SDP port before latching');
  t.equal(s.remote('a').latched, false);

  for (let k = 0; k < 5; k++) caller.send(s.local('a'), false, natted);
  t.ok(await until(() => carrier.rtpIn === 5), 'caller media relayed');
  t.equal(s.remote('a').latched, true);
  t.same(s.remote('a').rtp, { address: HOST, port: natted.address().port }, 'latched to the real source');
  t.same(s.remote('a').rtcp, { address: HOST, port: natted.address().port + 1, mux: false }, 'RTCP guessed at latched port + 1');

  for (let k = 0; k < 5; k++) carrier.send(s.local('b'));
  t.ok(await until(() => nattedIn === 5), 'carrier media now goes to the latched port');
  t.equal(caller.rtpIn, 5, 'not to the SDP port any more');

  // A third party spraying leg a while the caller talks is dropped, not forwarded.
  const intruder = dgram.createSocket('udp4');
  await new Promise<void>((r) => intruder.bind(0, HOST, r));
  t.teardown(() => intruder.close());
  for (let k = 0; k < 10; k++) {
    caller.send(s.local('a'), false, natted);
    intruder.send(buildRtp({ payloadType: 0, sequence: 9000 + k, timestamp: 0, ssrc: 666 }, 160), s.local('a').rtpPort, HOST);
    await sleep(20);
  }
  t.ok(await until(() => s.stats()['a→b'].droppedForeign === 10), 'intruder packets dropped');
  t.ok(await until(() => carrier.rtpIn === 15), 'only the caller’s packets were relayed');

  // Handover: the caller goes silent and the new source keeps sending for > 1 s → re-latched.
  for (let k = 0; k < 75 && !s.remote('a').rtp?.port.toString().includes(String(intruder.address().port)); k++) {
    intruder.send(buildRtp({ payloadType: 0, sequence: 9100 + k, timestamp: k * 160, ssrc: 666 }, 160), s.local('a').rtpPort, HOST);
    await sleep(20);
  }
  t.equal(s.remote('a').rtp?.port, intruder.address().port, 're-latched after ~1 s of the old source silent');
  t.equal(s.remote('a').relatches, 1);
  await s.close();
});

t.test('RTCP: forwarded between RTCP sockets; RR parsed into the far end’s view; rtcp-mux leg', async (t) => {
  const relay = await withRelay(t);
  const { s, caller, carrier } = await call(t, relay);
  for (let k = 0; k < 20; k++) {
    caller.send(s.local('a'));
    carrier.send(s.local('b'));
  }
  await until(() => carrier.rtpIn === 20 && caller.rtpIn === 20);
  // The carrier reports 25 % loss on the caller's stream (a→b); the caller reports 5 % on the carrier's.
  const block = (ssrc: number, fractionLost: number): Parameters<typeof buildRtcpRr>[1][number] =>
    ({ ssrc, fractionLost, cumulativeLost: 7, extendedHighestSeq: 20, jitter: 16, lastSr: 0, delaySinceLastSr: 0 });
  carrier.rtcp.send(buildRtcpRr(carrier.ssrc, [block(caller.ssrc, 0.25)]), s.local('b').rtcpPort, HOST);
  caller.rtcp.send(buildRtcpRr(caller.ssrc, [block(carrier.ssrc, 0.05078125)]), s.local('a').rtcpPort, HOST);
  t.ok(await until(() => caller.rtcpIn.length === 1 && carrier.rtcpIn.length === 1), 'both RRs relayed to the other RTCP socket');
  t.match(parseRtcp(caller.rtcpIn[0]!)?.[0], { type: 'RR', ssrc: carrier.ssrc, reports: [{ ssrc: caller.ssrc, fractionLost: 0.25 }] });
  const st = s.stats();
  t.match(st['a→b'].remoteReport, { fractionLost: 0.25, cumulativeLost: 7, reporterSsrc: carrier.ssrc, jitterMs: 2 });
  t.match(st['b→a'].remoteReport, { fractionLost: 0.05078125, reporterSsrc: caller.ssrc });
  t.equal(st['a→b'].rtcpForwarded, 1);

  // The carrier now muxes RTCP on its RTP port (RFC 5761): RTCP from the caller goes there.
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, rtcpMux: true }).ok);
  caller.rtcp.send(buildRtcpRr(caller.ssrc, [block(carrier.ssrc, 0)]), s.local('a').rtcpPort, HOST);
  t.ok(await until(() => carrier.rtcpOnRtpSocket.length === 1), 'RTCP delivered on the muxed RTP port');
  // … and its muxed RTCP sent to our RTP port is recognised as RTCP and forwarded to the caller's RTCP port.
  carrier.rtp.send(buildRtcpRr(carrier.ssrc, [block(caller.ssrc, 0.5)]), s.local('b').rtpPort, HOST);
  t.ok(await until(() => caller.rtcpIn.length === 2), 'muxed RTCP demultiplexed and relayed');
  t.equal(s.stats()['a→b'].remoteReport?.fractionLost, 0.5);
  t.equal(s.stats()['b→a'].invalid, 0);
  await s.close();
});

t.test('inactivity: reported once after the timeout, and once more when media resumes', async (t) => {
  const events: Array<{ dir: FlowName; silentMs: number; gapMs: number }> = [];
  const relay = await withRelay(t, { inactivityTimeoutMs: 300, onInactive: (_s, dir, silentMs, gapMs) => events.push({ dir, silentMs, gapMs }) });
  const { s, caller, carrier } = await call(t, relay);
  for (let k = 0; k < 10; k++) {
    caller.send(s.local('a'));
    await sleep(20);
  }
  t.ok(await until(() => events.length === 1, 3000), 'reported');
  t.equal(events[0]?.dir, 'a→b');
  t.ok((events[0]?.silentMs ?? 0) >= 300);
  t.equal(s.stats()['a→b'].inactive, true);
  await sleep(500);
  t.equal(events.length, 1, 'only once; b→a never started so it is never reported');
  caller.send(s.local('a'));
  t.ok(await until(() => events.length === 2));
  t.equal(events[1]?.silentMs, 0);
  t.ok((events[1]?.gapMs ?? 0) >= 300, `gap ${events[1]?.gapMs} ms`);
  t.equal(s.stats()['a→b'].inactive, false);
  // A leg that put itself on hold (it will not send) is not reported.
  for (let k = 0; k < 5; k++) carrier.send(s.local('b'));
  await until(() => caller.rtpIn === 5);
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, direction: 'inactive' }).ok);
  await sleep(800);
  t.notOk(events.some((e) => e.dir === 'b→a'), 'a held leg going quiet is expected');
  await s.close();
});

t.test('inactivity: a leg that puts the call on hold (a=sendonly) and then sends nothing is not reported', async (t) => {
  // baresip (and many phones) stop sending RTP while they hold a call although their SDP says
  // sendonly: sendonly allows sending, it does not promise it (RFC 3264 §5.1). Found with a real UA.
  const events: FlowName[] = [];
  const relay = await withRelay(t, { inactivityTimeoutMs: 300, onInactive: (_s, dir, silentMs) => void (silentMs > 0 && events.push(dir)) });
  const { s, caller, carrier } = await call(t, relay);
  for (let k = 0; k < 10; k++) {
    caller.send(s.local('a'));
    carrier.send(s.local('b'));
    await sleep(20);
  }
  t.ok(s.setRemote('a', { address: HOST, rtpPort: caller.rtpPort, rtcpPort: caller.rtcpPort, direction: 'sendonly' }).ok, 'the caller holds');
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, rtcpPort: carrier.rtcpPort, direction: 'recvonly' }).ok, 'the carrier answers recvonly');
  await sleep(900);
  t.same(events, [], 'neither direction reported while on hold');
  // Resumed: silence from the caller is a fault again.
  t.ok(s.setRemote('a', { address: HOST, rtpPort: caller.rtpPort, rtcpPort: caller.rtcpPort, direction: 'sendrecv' }).ok);
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, rtcpPort: carrier.rtcpPort, direction: 'sendrecv' }).ok);
  t.ok(await until(() => events.includes('a→b'), 2000), 'after the resume a silent caller is reported');
  await s.close();
});

t.test('re-INVITE: setRemote moves the far end; latching restarts', async (t) => {
  const relay = await withRelay(t);
  const { s, caller, carrier } = await call(t, relay);
  for (let k = 0; k < 5; k++) carrier.send(s.local('b'));
  for (let k = 0; k < 5; k++) caller.send(s.local('a'));
  await until(() => carrier.rtpIn === 5 && caller.rtpIn === 5);
  t.equal(s.remote('b').latched, true);
  const moved = await new Endpoint(0x3000).bind();
  t.teardown(() => moved.close());
  t.ok(s.setRemote('b', { address: HOST, rtpPort: moved.rtpPort, rtcpPort: moved.rtcpPort }).ok);
  t.equal(s.remote('b').latched, false, 'a new SDP address unlatches');
  for (let k = 0; k < 5; k++) caller.send(s.local('a'));
  t.ok(await until(() => moved.rtpIn === 5), 'caller media goes to the new far end');
  t.equal(carrier.rtpIn, 5, 'none to the old one');
  // The same SDP again (session refresh) keeps the latch.
  for (let k = 0; k < 3; k++) moved.send(s.local('b'));
  await until(() => s.remote('b').latched);
  t.ok(s.setRemote('b', { address: HOST, rtpPort: moved.rtpPort, rtcpPort: moved.rtcpPort }).ok);
  t.equal(s.remote('b').latched, true, 'unchanged SDP keeps the latch');
  await s.close();
});

t.test('hold: port 0, c=0.0.0.0, sendonly and inactive stop forwarding toward that leg only', async (t) => {
  const relay = await withRelay(t);
  const { s, caller, carrier } = await call(t, relay);
  const holds: Array<[string, Parameters<RelaySession['setRemote']>[1]]> = [
    ['port 0', { address: HOST, rtpPort: 0 }],
    ['c=0.0.0.0', { address: '0.0.0.0', rtpPort: carrier.rtpPort }],
    ['sendonly', { address: HOST, rtpPort: carrier.rtpPort, direction: 'sendonly' }],
    ['inactive', { address: HOST, rtpPort: carrier.rtpPort, direction: 'inactive' }],
  ];
  for (const [name, remote] of holds) {
    t.ok(s.setRemote('b', remote).ok, name);
    t.equal(s.remote('b').held, true, `${name}: held`);
    const before = { toCarrier: carrier.rtpIn, toCaller: caller.rtpIn, held: s.stats()['a→b'].droppedHold };
    for (let k = 0; k < 5; k++) {
      caller.send(s.local('a'));
      carrier.send(s.local('b'));
    }
    t.ok(await until(() => caller.rtpIn === before.toCaller + 5), `${name}: the held leg's own media still reaches the caller`);
    t.ok(await until(() => s.stats()['a→b'].droppedHold === before.held + 5), `${name}: caller media dropped`);
    t.equal(carrier.rtpIn, before.toCarrier, `${name}: nothing sent toward the held leg`);
  }
  t.ok(s.setRemote('b', { address: HOST, rtpPort: carrier.rtpPort, direction: 'sendrecv' }).ok, 'unhold');
  const n = carrier.rtpIn;
  for (let k = 0; k < 5; k++) caller.send(s.local('a'));
  t.ok(await until(() => carrier.rtpIn === n + 5), 'forwarding resumes');
  await s.close();
});

t.test('packets before the other side is known are counted and dropped; bad input is counted', async (t) => {
  const relay = await withRelay(t);
  const caller = await new Endpoint(1).bind();
  t.teardown(() => caller.close());
  const s = await relay.open('early', 'carrier-2');
  for (let k = 0; k < 7; k++) caller.send(s.local('a'));
  caller.rtp.send(Buffer.from('not rtp at all'), s.local('a').rtpPort, HOST);
  t.ok(await until(() => s.stats()['a→b'].droppedNoRemote === 7 && s.stats()['a→b'].invalid === 1));
  t.equal(s.stats()['a→b'].forwarded, 0);
  const bad = s.setRemote('b', { address: 'carrier.example.com', rtpPort: 5000 });
  t.notOk(bad.ok);
  if (!bad.ok) t.equal(bad.error.code, 'E_MEDIA_REMOTE_INVALID');
  t.notOk(s.setRemote('b', { address: '::1', rtpPort: 5000 }).ok, 'IPv6 remote on an IPv4 relay');
  t.notOk(s.setRemote('b', { address: HOST, rtpPort: 70000 }).ok, 'port out of range');
  t.equal(s.remote('b').sdp, undefined, 'errors leave the remote unset');
  t.same(s.local('a').address, HOST);
  await s.close();
  await s.close();
  t.notOk(s.setRemote('a', { address: HOST, rtpPort: 5000 }).ok, 'closed session refuses');
});

t.test('advertised address differs from the bind address (NAT)', async (t) => {
  const relay = await withRelay(t, { advertisedAddress: '203.0.113.7' });
  const s = await relay.open('nat', 'c');
  t.match(s.local('b'), { address: '203.0.113.7', rtpPort: Number, rtcpPort: s.local('b').rtpPort + 1 });
  t.equal(s.local('a').rtpPort % 2, 0, 'RTP on an even port');
  await s.close();
});

t.test('1,000 open/close cycles (10 at a time) leave no session and no port', async (t) => {
  const relay = await withRelay(t, { portRange: { min: 44000, max: 44099 } });
  for (let round = 0; round < 100; round++) {
    const sessions = await Promise.all(Array.from({ length: 10 }, (_, i) => relay.open(`c${round}-${i}`, 'x')));
    if (round === 0) t.same(relay.stats(), { sessions: 10, portsInUse: 40 });
    await Promise.all(sessions.map((s, i) => (i % 2 ? s.close() : Promise.all([s.close(), s.close()]))));
  }
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
  await relay.close();
  await t.rejects(relay.open('late', 'x'), { code: 'E_MEDIA_CLOSED' });
});

t.test('port pool: skips ports held elsewhere, reports exhaustion, release returns ports', async (t) => {
  const squatter = dgram.createSocket('udp4');
  await new Promise<void>((r) => squatter.bind(45001, HOST, r)); // the RTCP half of the first pair
  t.teardown(() => squatter.close());
  const pool = new PortPool({ address: HOST, min: 45000, max: 45005 });
  t.equal(pool.capacity, 3);
  const p1 = await pool.allocate();
  t.equal(p1.rtpPort, 45002, 'pair 45000/45001 skipped (45001 in use)');
  const p2 = await pool.allocate();
  t.equal(p2.rtpPort, 45004);
  t.equal(pool.inUse(), 4);
  const exhausted = await pool.allocate().catch((err: unknown) => err);
  t.ok(exhausted instanceof MediaError && exhausted.code === 'E_MEDIA_PORTS_EXHAUSTED', 'exhausted');
  await pool.release(p1);
  await pool.release(p1);
  t.equal(pool.inUse(), 2);
  const p3 = await pool.allocate();
  t.equal(p3.rtpPort, 45002, 'released pair reused');
  await Promise.all([pool.release(p2), pool.release(p3)]);
  t.equal(pool.inUse(), 0);
  t.throws(() => new PortPool({ address: HOST, min: 50000, max: 50000 }), { code: 'E_MEDIA_CONFIG' });
  t.throws(() => new PortPool({ address: 'localhost' }), { code: 'E_MEDIA_CONFIG' });
});

t.test('relay options are validated', async (t) => {
  t.throws(() => new MediaRelay({ bindAddress: HOST, inactivityTimeoutMs: 0 }), { code: 'E_MEDIA_CONFIG' });
  t.throws(() => new MediaRelay({ bindAddress: HOST, advertisedAddress: 'example.com' }), { code: 'E_MEDIA_CONFIG' });
});

// Lint-friendly use of the imported leg type (documents the legs' names).
const LEGS: readonly LegName[] = ['a', 'b'];
t.ok(LEGS.length === 2);
