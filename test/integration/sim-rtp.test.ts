/**
 * Real RTP in the carrier simulator, driven by the IVR over loopback UDP (no trunkwise in between):
 * echo and send modes, carrier-side loss and jitter measured by the IVR, IVR-side loss measured by the
 * carrier, the endpoint following a re-INVITE, and no RTP port left bound on any call end path.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { startSimulator, type BehaviourPatch, type Simulator, type SimulatorOptions } from '../../src/sim';
import { startIvr, type Ivr, type IvrCallResult, type IvrOptions } from '../../src/sim/ivr';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

async function withSim(carriers: Record<string, BehaviourPatch>, opts: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({
    carriers: Object.entries(carriers).map(([id, behaviour]) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const, behaviour })),
    seed: 11, ...opts,
  });
}

async function ivrFor(sim: Simulator, id: string, opts: Partial<IvrOptions> = {}): Promise<Ivr> {
  return startIvr({ target: `127.0.0.1:${sim.get(id).port}`, localAddress: '127.0.0.1', seed: 3, ...opts });
}

/** `n` calls, at most `concurrent` at once. */
async function calls(ivr: Ivr, n: number, concurrent: number, o: Parameters<Ivr['call']>[0]): Promise<IvrCallResult[]> {
  const out: IvrCallResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      out.push(await ivr.call(o));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrent) }, worker));
  return out;
}

const sum = (rs: IvrCallResult[], k: 'rtpSent' | 'rtpDropped' | 'rtpReceived' | 'rtpExpected' | 'rtpLost'): number => rs.reduce((a, r) => a + r[k], 0);
const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : 0);

t.test('echo: 20 concurrent calls, RTP both ways, IVR and carrier counts agree', async (t) => {
  const sim = await withSim({ echo: { rtp: 'echo' } });
  const ivr = await ivrFor(sim, 'echo');
  t.teardown(async () => { await ivr.stop(); await sim.stop(); });
  const probe = ivr.call({ to: '+4930123', holdMs: 200 });
  t.ok(await until(() => sim.stats('echo').rtpPortsInUse === 2, 2000), 'a call with RTP holds an RTP and an RTCP port');
  await probe;
  sim.resetStats();
  const rs = await calls(ivr, 20, 20, { to: '+4930123', holdMs: 2000 });
  t.equal(rs.filter((r) => r.status === 200 && r.endedBy === 'ivr-bye' && r.byeStatus === 200).length, 20, '20 answered, ended by the IVR\'s BYE');
  t.equal(new Set(rs.map((r) => r.callId)).size, 20, 'distinct Call-IDs');
  t.ok(rs.every((r) => r.rtpSent >= 90 && r.rtpReceived >= 85), `every call sent ~100 and got its echo (min sent ${Math.min(...rs.map((r) => r.rtpSent))}, min received ${Math.min(...rs.map((r) => r.rtpReceived))})`);
  const s = sim.stats('echo');
  const sent = sum(rs, 'rtpSent');
  // A packet already queued when the BYE is handled dies with the socket: at most one per call.
  t.ok(s.rtpReceived <= sent && s.rtpReceived >= sent - 20, `carrier received what the IVR sent (${s.rtpReceived} of ${sent})`);
  t.equal(s.rtpSent, s.rtpReceived, 'and echoed every packet');
  t.equal(s.rtpDropped, 0);
  const back = sum(rs, 'rtpReceived');
  t.ok(back <= s.rtpSent && back >= s.rtpSent - 40, `IVR received the echoes (${back} of ${s.rtpSent}; the last in flight at BYE may miss)`);
  t.ok(sum(rs, 'rtpLost') <= 20, `no loss on loopback (${sum(rs, 'rtpLost')})`);
  t.ok(await until(() => sim.stats('echo').rtpPortsInUse === 0), 'ports released');
  t.equal(ivr.rtpPortsInUse, 0, 'IVR ports released');
});

t.test('send: carrier rtpDropPercent 0 / 5 / 20 measured by the IVR within ±1 point (20 calls × 10 s each)', async (t) => {
  const levels = [0, 5, 20] as const;
  const sim = await withSim(Object.fromEntries(levels.map((p) => [`loss-${p}`, { rtp: 'send', rtpDropPercent: p }])), { seed: 101 });
  const ivrs = await Promise.all(levels.map((p) => ivrFor(sim, `loss-${p}`)));
  t.teardown(async () => { await Promise.all(ivrs.map((i) => i.stop())); await sim.stop(); });
  const results = await Promise.all(ivrs.map((ivr) => calls(ivr, 20, 20, { to: '+4930123', holdMs: 10_000 })));
  levels.forEach((p, i) => {
    const rs = results[i]!;
    const s = sim.stats(`loss-${p}`);
    const expected = sum(rs, 'rtpExpected');
    const loss = pct(sum(rs, 'rtpLost'), expected);
    t.equal(rs.filter((r) => r.status === 200).length, 20, `${p} %: all answered`);
    t.ok(expected >= 9500, `${p} %: ${expected} packets expected`);
    t.ok(Math.abs(loss - p) <= 1, `${p} %: IVR measured ${loss.toFixed(2)} % loss`);
    t.ok(Math.abs(pct(s.rtpDropped, s.rtpSent + s.rtpDropped) - p) <= 1, `${p} %: carrier dropped ${s.rtpDropped} of ${s.rtpSent + s.rtpDropped}`);
    t.ok(sum(rs, 'rtpReceived') <= s.rtpSent && sum(rs, 'rtpReceived') >= s.rtpSent - 40, `${p} %: IVR received what the carrier sent`);
    t.ok(s.rtpReceived <= sum(rs, 'rtpSent') && s.rtpReceived >= sum(rs, 'rtpSent') - 20, `${p} %: the IVR's own stream counted, not echoed`);
  });
});

t.test('IVR rtpDropPercent 5: the carrier receives ~95 % of the stream, the echo shows the gaps', async (t) => {
  const sim = await withSim({ echo: { rtp: 'echo' } });
  const ivr = await ivrFor(sim, 'echo', { rtpDropPercent: 5, seed: 17 });
  t.teardown(async () => { await ivr.stop(); await sim.stop(); });
  const rs = await calls(ivr, 20, 20, { to: '+4930123', holdMs: 6000 });
  const s = sim.stats('echo');
  const generated = sum(rs, 'rtpSent') + sum(rs, 'rtpDropped');
  t.ok(s.rtpReceived <= sum(rs, 'rtpSent') && s.rtpReceived >= sum(rs, 'rtpSent') - 20, `carrier received what the IVR put on the wire (${s.rtpReceived} of ${sum(rs, 'rtpSent')})`);
  const missing = pct(generated - s.rtpReceived, generated);
  t.ok(Math.abs(missing - 5) <= 1, `carrier missing ${missing.toFixed(2)} % of ${generated} generated`);
  const seen = pct(sum(rs, 'rtpLost'), sum(rs, 'rtpExpected'));
  t.ok(Math.abs(seen - 5) <= 1, `IVR sees the gaps in the echo: ${seen.toFixed(2)} %`);
});

t.test('rtpJitterMs spreads arrivals (order kept); it applies live to calls already up', async (t) => {
  const sim = await withSim({ steady: { rtp: 'send' }, jittery: { rtp: 'send', rtpJitterMs: 80 } });
  const [a, b] = await Promise.all([ivrFor(sim, 'steady'), ivrFor(sim, 'jittery')]);
  t.teardown(async () => { await a!.stop(); await b!.stop(); await sim.stop(); });
  const [steady, jittery] = await Promise.all([calls(a!, 5, 5, { to: '1', holdMs: 3000 }), calls(b!, 5, 5, { to: '1', holdMs: 3000 })]);
  const jit = (rs: IvrCallResult[]): number => Math.min(...rs.map((r) => r.rtpJitterMs));
  const gap = (rs: IvrCallResult[]): number => Math.min(...rs.map((r) => r.rtpMaxGapMs));
  t.ok(jit(jittery!) > jit(steady!) + 5, `RFC 3550 jitter: ${jit(steady!).toFixed(2)} ms steady vs ${jit(jittery!).toFixed(2)} ms with 80 ms jitter`);
  t.ok(gap(jittery!) > 45, `arrival gaps stretched (max gap ≥ ${gap(jittery!).toFixed(1)} ms)`);
  t.ok(jittery!.every((r) => r.rtpDuplicates === 0 && r.rtpLost <= 1), 'nothing lost or duplicated by jitter');

  sim.set('steady', { rtpJitterMs: 0 });
  const live = a!.call({ to: '1', holdMs: 3000 });
  await sleep(1500);
  sim.set('steady', { rtpJitterMs: 80 });
  const r = await live;
  t.ok(r.rtpJitterMs > jit(steady!) + 3, `a PATCH mid-call changes the call's media path (${r.rtpJitterMs.toFixed(2)} ms)`);
});

t.test('rtp keys over the control API: PATCH live, shown in GET, bad values 400', async (t) => {
  const sim = await withSim({ c: {} }, { http: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => sim.stop());
  const base = `http://127.0.0.1:${sim.http!.port}/carriers/c`;
  const patch = (body: unknown): Promise<Response> => fetch(base, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const ok = await patch({ rtp: 'echo', rtpDropPercent: 2.5, rtpJitterMs: 20 });
  t.equal(ok.status, 200);
  t.match(await ok.json(), { behaviour: { rtp: 'echo', rtpDropPercent: 2.5, rtpJitterMs: 20 }, stats: { rtpReceived: 0, rtpPortsInUse: 0 } });
  const bad = await patch({ rtp: 'record', rtpJitterMs: -1 });
  t.equal(bad.status, 400);
  t.match(String(((await bad.json()) as { error: string }).error), /rtp: "record" is not one of off\|echo\|send/);
  t.equal(sim.get('c').behaviour.rtp, 'echo', 'a bad patch changes nothing');
  const ivr = await ivrFor(sim, 'c');
  t.teardown(() => ivr.stop());
  const r = await ivr.call({ to: '1', holdMs: 500 });
  t.ok(r.rtpReceived > 0, `the PATCHed carrier echoes (${r.rtpReceived})`);
});

/** A raw UDP peer for SIP, plus two RTP sockets to move media between. */
async function udp(): Promise<{ sock: dgram.Socket; port: number; got: { data: Buffer; port: number }[] }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: { data: Buffer; port: number }[] = [];
  sock.on('message', (data, rinfo) => got.push({ data, port: rinfo.port }));
  return { sock, port: sock.address().port, got };
}

const sdp = (port: number, version: number): string => ['v=0', `o=- 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, ''].join('\r\n');

function request(o: { method: string; port: number; local: number; branch: string; cseq: number; toTag?: string; body?: string }): Buffer {
  const body = o.body ?? '';
  return Buffer.from([
    `${o.method} sip:+4930123@127.0.0.1:${o.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${o.local};branch=${o.branch};rport`, 'Max-Forwards: 70',
    `From: <sip:raw@127.0.0.1:${o.local}>;tag=raw1`, `To: <sip:+4930123@127.0.0.1:${o.port}>${o.toTag ? `;tag=${o.toTag}` : ''}`, 'Call-ID: reinvite-1',
    `CSeq: ${o.cseq} ${o.method}`, `Contact: <sip:raw@127.0.0.1:${o.local}>`, ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n'));
}

t.test('the SDP answer carries the real RTP port; a re-INVITE moves the carrier\'s stream (and unlatches)', async (t) => {
  const sim = await withSim({ c: { rtp: 'send' } }, { timings: { t1: 50, t2: 200, tMax: 2000 } });
  const [sip, a, b] = await Promise.all([udp(), udp(), udp()]);
  t.teardown(async () => { for (const s of [sip, a, b]) s.sock.close(); await sim.stop(); });
  const port = sim.get('c').port;
  const send = (m: Buffer): void => void sip.sock.send(m, port, '127.0.0.1');
  const response = async (re: RegExp): Promise<string> => {
    await until(() => sip.got.some((g) => re.test(g.data.toString())), 2000);
    return sip.got.map((g) => g.data.toString()).find((m) => re.test(m)) ?? '';
  };
  send(request({ method: 'INVITE', port, local: sip.port, branch: 'z9hG4bK-r1', cseq: 1, body: sdp(a.port, 1) }));
  const ok = await response(/^SIP\/2\.0 200[\s\S]*CSeq: 1 INVITE/);
  const tag = /^To:.*;tag=([^;\s]+)/m.exec(ok)?.[1];
  const rtpPort = Number(/^m=audio (\d+)/m.exec(ok)?.[1]);
  t.ok(rtpPort >= 22_000 && rtpPort <= 25_999, `answer advertises port ${rtpPort} from the RTP range`);
  send(request({ method: 'ACK', port, local: sip.port, branch: 'z9hG4bK-r1a', cseq: 1, toTag: tag }));
  t.ok(await until(() => a.got.length >= 10, 2000), 'stream arrives at the offer\'s port');
  t.ok(a.got.every((g) => g.port === rtpPort), 'sent from the advertised port (symmetric RTP)');
  // RTP from A to the advertised port: the carrier counts it and latches A.
  const { writeRtp } = await import('../../src/sim/rtp/packet');
  for (let i = 0; i < 5; i++) a.sock.send(writeRtp({ payloadType: 0, marker: false, seq: i, timestamp: i * 160, ssrc: 7 }, Buffer.alloc(160, 0xff)), rtpPort, '127.0.0.1');
  t.ok(await until(() => sim.stats('c').rtpReceived === 5, 2000), 'the advertised port is the socket that receives');

  send(request({ method: 'INVITE', port, local: sip.port, branch: 'z9hG4bK-r2', cseq: 2, toTag: tag, body: sdp(b.port, 2) }));
  const re = await response(/^SIP\/2\.0 200[\s\S]*CSeq: 2 INVITE/);
  t.equal(Number(/^m=audio (\d+)/m.exec(re)?.[1]), rtpPort, 'same port in the re-INVITE answer');
  send(request({ method: 'ACK', port, local: sip.port, branch: 'z9hG4bK-r2a', cseq: 2, toTag: tag }));
  t.ok(await until(() => b.got.length >= 10, 2000), 'after the re-INVITE the stream goes to the new address');
  await sleep(100);
  const atA = a.got.length;
  await sleep(300);
  t.equal(a.got.length, atA, 'and no longer to the latched old one');
  const seqs = b.got.map((g) => g.data.readUInt16BE(2));
  t.ok(seqs.every((s, i) => i === 0 || s === ((seqs[i - 1]! + 1) & 0xffff)), 'one continuous stream, in order');

  send(request({ method: 'BYE', port, local: sip.port, branch: 'z9hG4bK-r3', cseq: 3, toTag: tag }));
  await response(/^SIP\/2\.0 200[\s\S]*CSeq: 3 BYE/);
  t.ok(await until(() => sim.stats('c').rtpPortsInUse === 0, 2000), 'BYE released the ports');
});

t.test('every call end path releases the RTP ports: 200 calls (answer, reject, CANCEL, carrier BYE), ACK timeout, stop()', async (t) => {
  const carriers: Record<string, BehaviourPatch> = {
    answer: { rtp: 'echo' },
    reject: { rtp: 'send', mode: 'reject', rejectCode: 486, ringMs: 100 },
    noanswer: { rtp: 'echo', mode: 'noanswer' },
    hangup: { rtp: 'send', mode: 'hangup', holdMs: 200 },
  };
  const sim = await withSim(carriers, { timings: { t1: 50, t2: 200, tMax: 1500 } });
  const ivrs = await Promise.all(Object.keys(carriers).map((id) => ivrFor(sim, id, { timings: { t1: 50, t2: 200, tMax: 1500 } })));
  t.teardown(async () => { await Promise.all(ivrs.map((i) => i.stop())); await sim.stop(); });
  const [answer, reject, noanswer, hangup] = await Promise.all([
    calls(ivrs[0]!, 50, 25, { to: '1', holdMs: 300 }),
    calls(ivrs[1]!, 50, 25, { to: '1', holdMs: 300 }),
    calls(ivrs[2]!, 50, 25, { to: '1', holdMs: 300, cancelAfterMs: 200 }),
    calls(ivrs[3]!, 50, 25, { to: '1', holdMs: 5000 }),
  ]);
  t.same(answer!.map((r) => `${r.status}/${r.endedBy}`).filter((x) => x !== '200/ivr-bye'), [], 'answer: 50 × 200 + IVR BYE');
  t.same(reject!.map((r) => `${r.status}/${r.endedBy}`).filter((x) => x !== '486/rejected'), [], 'reject: 50 × 486');
  t.same(noanswer!.map((r) => `${r.status}/${r.endedBy}`).filter((x) => x !== '487/cancelled'), [], 'noanswer: 50 × CANCEL → 487');
  t.same(hangup!.map((r) => `${r.status}/${r.endedBy}`).filter((x) => x !== '200/remote-bye'), [], 'hangup: 50 × carrier BYE');
  t.ok(answer!.every((r) => r.rtpReceived > 0) && hangup!.every((r) => r.rtpReceived > 0), 'answered calls carried RTP');
  for (const id of Object.keys(carriers)) {
    t.ok(await until(() => sim.stats(id).rtpPortsInUse === 0 && sim.stats(id).activeCalls === 0), `${id}: no port bound, no call left`);
  }
  t.match(sim.stats('noanswer'), { cancelled: 50 });
  t.match(sim.stats('hangup'), { byesSent: 50, byeTimeouts: 0 });
  t.ok(ivrs.every((i) => i.rtpPortsInUse === 0 && i.active === 0), 'IVR side released too');

  // ACK timeout: a raw INVITE never ACKed; the 2xx gives up after 64·T1 and the call's ports go.
  const raw = await udp();
  t.teardown(() => raw.sock.close());
  raw.sock.send(request({ method: 'INVITE', port: sim.get('answer').port, local: raw.port, branch: 'z9hG4bK-noack', cseq: 1, body: sdp(raw.port, 1) }), sim.get('answer').port, '127.0.0.1');
  t.ok(await until(() => sim.stats('answer').rtpPortsInUse === 2, 2000), 'un-ACKed call holds its ports');
  t.ok(await until(() => sim.stats('answer').ackTimeouts === 1, 3000), 'ACK timeout');
  t.ok(await until(() => sim.stats('answer').rtpPortsInUse === 0, 2000), 'ACK timeout released the ports');

  // stop() with calls up.
  const up = Array.from({ length: 5 }, () => ivrs[0]!.call({ to: '1', holdMs: 60_000 }));
  t.ok(await until(() => sim.stats('answer').rtpPortsInUse === 10, 3000), '5 calls up, 10 ports');
  await sim.stop();
  t.equal(sim.stats('answer').rtpPortsInUse, 0, 'stop() resolved after every RTP port was released');
  await ivrs[0]!.stop();
  t.same((await Promise.all(up)).map((r) => r.endedBy), ['stopped', 'stopped', 'stopped', 'stopped', 'stopped'], 'IVR stop() ends its calls');
  t.equal(ivrs[0]!.rtpPortsInUse, 0);
});
