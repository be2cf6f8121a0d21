/**
 * The rtpengine adapter against a real rtpengine daemon (userspace, 127.0.0.1) with two plain UDP
 * endpoints standing in for the IVR (caller) and the carrier: PCMU at 50 packets/s with proper
 * seq/ts/SSRC, and RTCP SR+RR once a second (RFC 3550 loss and jitter) so rtpengine's RTCP-based
 * loss reporting can be checked. Skipped only when the `rtpengine` binary is absent
 * (`bash scripts/setup.sh media` installs it).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { parse } from 'sdp-transform';
import { RtpengineAnchor, RtpengineError, startRtpengine, type RtpengineProcess, type RtpengineSession } from '../../src/media/rtpengine';
import { NgClient } from '../../src/media/rtpengine/ng-client';
import { freeUdpPort } from '../../src/media/rtpengine/process';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const HAVE_RTPENGINE = spawnSync('rtpengine', ['--version']).status === 0;

// ---- a minimal RTP/RTCP endpoint ---------------------------------------------------------------

interface Rx { ssrc: number; base: number; max: number; cycles: number; received: number; expectedPrior: number; receivedPrior: number; jitter: number; transit?: number }

class Endpoint {
  readonly ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;
  sent = 0;
  /** Packets received per SSRC. */
  readonly rx = new Map<number, Rx>();
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9) >>> 0;
  private remote: { addr: string; rtp: number; rtcp: number } | undefined;
  private lastSr: { lsr: number; at: number } | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;

  private constructor(readonly name: string, readonly port: number, private readonly rtp: dgram.Socket, private readonly rtcp: dgram.Socket) {
    rtp.on('message', (m) => this.onRtp(m));
    rtcp.on('message', (m) => this.onRtcp(m));
  }

  static async create(name: string): Promise<Endpoint> {
    for (let i = 0; i < 50; i++) {
      const port = (await freeUdpPort('127.0.0.1')) & ~1;
      const a = dgram.createSocket('udp4');
      const b = dgram.createSocket('udp4');
      try {
        await new Promise<void>((res, rej) => { a.once('error', rej); a.bind(port, '127.0.0.1', res); });
        await new Promise<void>((res, rej) => { b.once('error', rej); b.bind(port + 1, '127.0.0.1', res); });
        return new Endpoint(name, port, a, b);
      } catch {
        a.close(); try { b.close(); } catch { /* not bound */ }
      }
    }
    throw new Error('no free even/odd port pair');
  }

  sdp(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' = 'sendrecv', version = 1): string {
    return ['v=0', `o=- ${this.ssrc} ${version} IN IP4 127.0.0.1`, `s=${this.name}`, 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20',
      `a=${direction}`, 'a=ice-ufrag:Xy12', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', `a=candidate:1 1 UDP 2130706431 127.0.0.1 ${this.port} typ host`, ''].join('\r\n');
  }

  /** Where to send, from the SDP the anchor gave this endpoint. */
  setRemote(sdp: string): void {
    const s = parse(sdp);
    const m = s.media.find((x) => x.type === 'audio')!;
    const addr = m.connection?.ip ?? s.connection!.ip;
    this.remote = { addr, rtp: m.port, rtcp: m.rtcp?.port ?? m.port + 1 };
  }

  get remoteRtp(): number { return this.remote!.rtp; }

  /** `count` packets at 50/s; every `dropEvery`-th is skipped (seq still advances: loss at the source). */
  async send(count: number, dropEvery = 0): Promise<void> {
    for (let i = 0; i < count; i++) {
      const tick = Date.now();
      this.seq = (this.seq + 1) & 0xffff;
      this.ts = (this.ts + 160) >>> 0;
      if (!(dropEvery > 0 && i % dropEvery === dropEvery - 1)) {
        const p = Buffer.alloc(12 + 160, 0xff);
        p[0] = 0x80; p[1] = 0; p.writeUInt16BE(this.seq, 2); p.writeUInt32BE(this.ts, 4); p.writeUInt32BE(this.ssrc, 8);
        this.rtp.send(p, this.remote!.rtp, this.remote!.addr);
        this.sent++;
      }
      await sleep(Math.max(0, 20 - (Date.now() - tick)));
    }
  }

  startRtcp(everyMs = 1000): void {
    this.rtcpTimer = setInterval(() => this.sendRtcp(), everyMs);
  }

  receivedFrom(ssrc: number): number { return this.rx.get(ssrc)?.received ?? 0; }

  close(): void {
    clearInterval(this.rtcpTimer);
    this.rtp.close();
    this.rtcp.close();
  }

  private onRtp(m: Buffer): void {
    if (m.length < 12 || (m[0]! & 0xc0) !== 0x80) return;
    const seq = m.readUInt16BE(2);
    const ssrc = m.readUInt32BE(8);
    let r = this.rx.get(ssrc);
    if (!r) this.rx.set(ssrc, (r = { ssrc, base: seq, max: seq, cycles: 0, received: 0, expectedPrior: 0, receivedPrior: 0, jitter: 0 }));
    else if (((seq - r.max) & 0xffff) < 0x8000 && seq !== r.max) {
      if (seq < r.max) r.cycles += 0x10000;
      r.max = seq;
    }
    r.received++;
    // RFC 3550 A.8 jitter, in timestamp units (8 kHz)
    const transit = Math.round(performance.now() * 8) - m.readUInt32BE(4);
    if (r.transit !== undefined) r.jitter += (Math.abs(transit - r.transit) - r.jitter) / 16;
    r.transit = transit;
  }

  private onRtcp(m: Buffer): void {
    if (m.length >= 28 && m[1] === 200) this.lastSr = { lsr: ((m.readUInt32BE(8) & 0xffff) << 16 | m.readUInt32BE(12) >>> 16) >>> 0, at: Date.now() };
  }

  /** SR with one report block (RFC 3550 6.4.1, A.3) about the first stream received. */
  private sendRtcp(): void {
    if (!this.remote) return;
    const r = [...this.rx.values()][0];
    const now = Date.now();
    const ntpSec = Math.floor(now / 1000) + 2208988800;
    const ntpFrac = Math.floor(((now % 1000) / 1000) * 2 ** 32) >>> 0;
    const p = Buffer.alloc(r ? 52 : 28);
    p[0] = 0x80 | (r ? 1 : 0); p[1] = 200; p.writeUInt16BE(p.length / 4 - 1, 2);
    p.writeUInt32BE(this.ssrc, 4); p.writeUInt32BE(ntpSec >>> 0, 8); p.writeUInt32BE(ntpFrac, 12);
    p.writeUInt32BE(this.ts, 16); p.writeUInt32BE(this.sent, 20); p.writeUInt32BE(this.sent * 160, 24);
    if (r) {
      const extMax = r.cycles + r.max;
      const expected = extMax - r.base + 1;
      const lost = Math.max(0, expected - r.received);
      const expInt = expected - r.expectedPrior;
      const lostInt = expInt - (r.received - r.receivedPrior);
      r.expectedPrior = expected;
      r.receivedPrior = r.received;
      const fraction = expInt > 0 && lostInt > 0 ? Math.floor((lostInt << 8) / expInt) : 0;
      p.writeUInt32BE(r.ssrc, 28);
      p.writeUInt32BE(((fraction & 0xff) << 24 | (lost & 0xffffff)) >>> 0, 32);
      p.writeUInt32BE(extMax >>> 0, 36);
      p.writeUInt32BE(Math.floor(r.jitter) >>> 0, 40);
      // rtpengine 10.5 ignores report blocks with LSR or DLSR 0 (RFC 3550: "no SR received yet")
      p.writeUInt32BE(this.lastSr?.lsr ?? 0, 44);
      p.writeUInt32BE(this.lastSr ? Math.max(1, Math.round(((now - this.lastSr.at) / 1000) * 65536)) : 0, 48);
    }
    this.rtcp.send(p, this.remote.rtcp, this.remote.addr);
  }
}

// ---- helpers -------------------------------------------------------------------------------------

const dirOf = (sdp: string): string | undefined => parse(sdp).media[0]?.direction;

async function callIds(rp: RtpengineProcess): Promise<string[]> {
  const ng = new NgClient({ host: rp.host, port: rp.ngPort, timeoutMs: 1000 });
  try {
    const r = await ng.command('list', {});
    return Array.isArray(r.calls) ? r.calls.map(String) : [];
  } finally {
    ng.close();
  }
}

// ---- tests ---------------------------------------------------------------------------------------

t.test('rtpengine adapter against a real daemon', { skip: HAVE_RTPENGINE ? false : 'rtpengine binary not found (bash scripts/setup.sh media)' }, async (t) => {
  const rp = await startRtpengine();
  t.teardown(() => rp.stop());
  const anchor = new RtpengineAnchor({ host: rp.host, port: rp.ngPort, timeoutMs: 1000 });
  t.teardown(() => anchor.close());

  t.test('offer/answer anchors both directions; RTP flows; RTCP loss reaches the CDR; hold/resume both ways; close removes the call', async (t) => {
    const caller = await Endpoint.create('caller');
    const carrier = await Endpoint.create('carrier');
    t.teardown(() => { caller.close(); carrier.close(); });
    const session = await anchor.open('call-1@trunkwise.test', 'caller-tag-1') as RtpengineSession;

    const toCarrier = await session.offer(caller.sdp(), 'carrierA');
    t.match(toCarrier, /c=IN IP4 127\.0\.0\.1/, 'offer to the carrier names rtpengine');
    t.notMatch(toCarrier, /a=(candidate|ice-ufrag|ice-pwd)/, 'ICE removed');
    carrier.setRemote(toCarrier);
    t.ok(carrier.remoteRtp >= rp.portMin && carrier.remoteRtp <= rp.portMax, `carrier sends to an rtpengine port (${carrier.remoteRtp})`);
    t.not(carrier.remoteRtp, caller.port, 'not to the caller directly');
    const toCaller = await session.answer(carrier.sdp(), 'carrierA');
    caller.setRemote(toCaller);
    t.ok(caller.remoteRtp >= rp.portMin && caller.remoteRtp <= rp.portMax, `caller sends to an rtpengine port (${caller.remoteRtp})`);

    caller.startRtcp();
    carrier.startRtcp();
    // 4 s of audio both ways; the carrier's source drops every 10th packet (10 % loss on that direction).
    await Promise.all([caller.send(200), carrier.send(200, 10)]);
    await sleep(1300); // last packets, and one more RTCP round carrying the final loss figures
    t.ok(carrier.receivedFrom(caller.ssrc) >= 0.9 * caller.sent, `carrier got ${carrier.receivedFrom(caller.ssrc)} of ${caller.sent} from the caller`);
    t.ok(caller.receivedFrom(carrier.ssrc) >= 0.9 * carrier.sent, `caller got ${caller.receivedFrom(carrier.ssrc)} of ${carrier.sent} from the carrier`);

    const s1 = await session.sample(Date.now());
    t.ok(s1, 'sample has data once the caller sent receiver reports');
    t.ok(s1!.expected >= 190 && s1!.expected <= 205, `interval expected ≈ 200 (${s1!.expected})`);
    t.ok(s1!.lost >= 15 && s1!.lost <= 22, `interval lost ≈ 20 (${s1!.lost})`);
    const s2 = await session.sample(Date.now());
    t.same(s2, { expected: 0, lost: 0 }, 'nothing new since the previous sample');

    const cdr = await session.stats();
    t.equal(cdr.mode, 'rtpengine');
    t.ok(cdr.fromCaller && cdr.fromCaller.received >= 0.9 * caller.sent && cdr.fromCaller.received <= caller.sent, `fromCaller.received ${cdr.fromCaller?.received} of ${caller.sent}`);
    t.equal(cdr.fromCaller?.lost, 0, 'no loss from the caller (the carrier\'s RRs say so)');
    t.equal(cdr.fromCaller?.rtcpFractionLost, 0, 'carrier reported 0 fraction lost');
    t.ok(cdr.fromCarrier && cdr.fromCarrier.received >= 0.9 * carrier.sent && cdr.fromCarrier.received <= carrier.sent, `fromCarrier.received ${cdr.fromCarrier?.received} of ${carrier.sent}`);
    t.ok(cdr.fromCarrier!.lost >= 15 && cdr.fromCarrier!.lost <= 22, `fromCarrier.lost ≈ 20 (${cdr.fromCarrier!.lost})`);
    t.ok(cdr.fromCarrier!.fractionLost > 0.07 && cdr.fromCarrier!.fractionLost < 0.12, `fromCarrier.fractionLost ≈ 0.1 (${cdr.fromCarrier!.fractionLost})`);
    t.ok(cdr.fromCarrier!.rtcpFractionLost! > 0.02 && cdr.fromCarrier!.rtcpFractionLost! < 0.15, `caller's RRs: mean fraction lost > 0 (intervals after the audio stopped count 0) (${cdr.fromCarrier!.rtcpFractionLost})`);
    t.ok((cdr.mediaDurationMs ?? 0) >= 3000, `media duration ${cdr.mediaDurationMs} ms`);

    // The caller holds (re-INVITE sendonly), the carrier answers recvonly, then the caller resumes.
    const hold = await session.reoffer('caller', caller.sdp('sendonly', 2));
    t.equal(dirOf(hold), 'sendonly', 'hold offer reaches the carrier as sendonly');
    carrier.setRemote(hold);
    const holdAns = await session.reanswer('caller', carrier.sdp('recvonly', 2));
    t.equal(dirOf(holdAns), 'recvonly', 'carrier\'s recvonly answer reaches the caller');
    caller.setRemote(holdAns);
    const resume = await session.reoffer('caller', caller.sdp('sendrecv', 3));
    t.equal(dirOf(resume), 'sendrecv', 'resume offer');
    carrier.setRemote(resume);
    caller.setRemote(await session.reanswer('caller', carrier.sdp('sendrecv', 3)));
    // The carrier holds and resumes (its re-offer: from/to tags swapped).
    const cHold = await session.reoffer('carrier', carrier.sdp('sendonly', 4));
    t.equal(dirOf(cHold), 'sendonly', 'carrier\'s hold offer reaches the caller as sendonly');
    caller.setRemote(cHold);
    const cHoldAns = await session.reanswer('carrier', caller.sdp('recvonly', 4));
    t.equal(dirOf(cHoldAns), 'recvonly', 'caller\'s recvonly answer reaches the carrier');
    carrier.setRemote(cHoldAns);
    const cResume = await session.reoffer('carrier', carrier.sdp('sendrecv', 5));
    caller.setRemote(cResume);
    carrier.setRemote(await session.reanswer('carrier', caller.sdp('sendrecv', 5)));
    t.equal(dirOf(cResume), 'sendrecv', 'carrier\'s resume offer');

    const before = { c: carrier.receivedFrom(caller.ssrc), k: caller.receivedFrom(carrier.ssrc) };
    await Promise.all([caller.send(50), carrier.send(50)]);
    await sleep(300);
    t.ok(carrier.receivedFrom(caller.ssrc) - before.c >= 45, 'after resume: caller → carrier flows');
    t.ok(caller.receivedFrom(carrier.ssrc) - before.k >= 45, 'after resume: carrier → caller flows');

    t.ok((await callIds(rp)).includes('call-1@trunkwise.test'), 'rtpengine lists the call');
    await session.close();
    await session.close();
    t.pass('close is idempotent');
    t.notOk((await callIds(rp)).includes('call-1@trunkwise.test'), 'rtpengine no longer lists the call');
    const ng = new NgClient({ host: rp.host, port: rp.ngPort });
    await t.rejects(ng.command('query', { 'call-id': 'call-1@trunkwise.test' }), { code: 'E_RTPENGINE_REFUSED', message: /Unknown call-id/ }, 'query: unknown call');
    ng.close();
    const after = await session.stats();
    t.ok(after.fromCarrier && after.fromCarrier.received >= cdr.fromCarrier!.received, 'stats() after close: the delete reply\'s counters');
    t.equal(await session.sample(Date.now()), undefined, 'no samples after close');
    await t.rejects(session.reoffer('caller', caller.sdp()), { code: 'E_RTPENGINE_CLOSED' }, 're-offer after close is refused');
  });

  t.test('crankback: a second attempt gets its own branch; the first carrier\'s port is released', async (t) => {
    const caller = await Endpoint.create('caller');
    const carrierA = await Endpoint.create('carrierA');
    const carrierB = await Endpoint.create('carrierB');
    t.teardown(() => { caller.close(); carrierA.close(); carrierB.close(); });
    const session = await anchor.open('call-2@trunkwise.test', 'caller-tag-2') as RtpengineSession;
    carrierA.setRemote(await session.offer(caller.sdp(), 'A'));
    // A never answers; the call layer cranks back to B with the same caller SDP.
    carrierB.setRemote(await session.offer(caller.sdp(), 'B'));
    t.not(carrierB.remoteRtp, carrierA.remoteRtp, `B gets a fresh port (${carrierB.remoteRtp}, A had ${carrierA.remoteRtp})`);
    caller.setRemote(await session.answer(carrierB.sdp(), 'B'));
    t.equal(session.carrierTag?.endsWith('.2'), true, 'the answer is bound to attempt 2\'s to-tag');
    await Promise.all([caller.send(50), carrierB.send(50), carrierA.send(25)]);
    await sleep(300);
    t.ok(carrierB.receivedFrom(caller.ssrc) >= 45, 'caller → B flows');
    t.ok(caller.receivedFrom(carrierB.ssrc) >= 45, 'B → caller flows');
    t.equal(caller.receivedFrom(carrierA.ssrc), 0, 'nothing from A reaches the caller');
    t.equal(carrierA.receivedFrom(caller.ssrc), 0, 'nothing from the caller reaches A');
    const cdr = await session.stats();
    t.ok(cdr.fromCarrier && cdr.fromCarrier.received >= 45 && cdr.fromCarrier.received <= 50, `fromCarrier counts B only (${cdr.fromCarrier?.received})`);
    t.equal(await session.sample(Date.now()), undefined, 'no RTCP from the endpoints: sample cannot tell');
    t.equal(cdr.fromCarrier?.rtcpFractionLost, undefined, 'no RTCP view in the CDR either');
    await session.close();
    t.notOk((await callIds(rp)).includes('call-2@trunkwise.test'), 'call gone');
  });

  t.test('a session that never offered closes without talking to rtpengine', async (t) => {
    const session = await anchor.open('call-3@trunkwise.test', 'tag-3');
    t.same(await session.stats(), { mode: 'rtpengine' });
    await session.close();
    t.equal(await session.sample(Date.now()), undefined);
  });
});

t.test('rtpengine not running: a bounded, named error, then open() refuses at once', async (t) => {
  const port = await freeUdpPort('127.0.0.1');
  const anchor = new RtpengineAnchor({ host: '127.0.0.1', port, timeoutMs: 300, backoffMs: 2000 });
  t.teardown(() => anchor.close());
  const session = await anchor.open('call-x@trunkwise.test', 'tag-x');
  const t0 = Date.now();
  await t.rejects(session.offer('v=0\r\n', 'A'), { name: 'RtpengineError', code: 'E_RTPENGINE_TIMEOUT' }, 'offer rejects');
  const took = Date.now() - t0;
  t.ok(took >= 250 && took < 1000, `within the timeout (${took} ms)`);
  const t1 = Date.now();
  await t.rejects(anchor.open('call-y@trunkwise.test', 'tag-y'), { code: 'E_RTPENGINE_UNREACHABLE' }, 'open refuses while unreachable');
  t.ok(Date.now() - t1 < 50, 'at once');
  await t.rejects(anchor.ping(), RtpengineError, 'ping fails too');
});

t.test('startRtpengine reports why the daemon did not start, and leaves nothing running', { skip: HAVE_RTPENGINE ? false : 'rtpengine binary not found' }, async (t) => {
  const err = await startRtpengine({ extraArgs: ['--no-such-option'], startTimeoutMs: 3000 }).then(() => undefined, (e: unknown) => e);
  t.type(err, RtpengineError);
  t.equal((err as RtpengineError).code, 'E_RTPENGINE_START');
  t.match((err as Error).message, /exited/, 'says it exited');
  t.match((err as Error).message, /no-such-option/, 'with rtpengine\'s own complaint');
  const missing = await startRtpengine({ binary: '/nonexistent/rtpengine' }).then(() => undefined, (e: unknown) => e);
  t.match((missing as Error).message, /could not be run/, 'a missing binary is named');
});
