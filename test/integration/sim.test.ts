/**
 * The carrier simulator over real sockets: SIPp as the calling side (UDP and TCP), raw UDP/TCP for
 * the corner cases SIPp cannot express (retransmissions, lost ACKs, Via routing, junk), and the HTTP
 * control API. Each subtest has its own simulator on ephemeral ports.
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { freePorts, killAll, runSipp, type SippOptions, type SippResult } from '../helpers/sipp';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim';

const SCENARIOS = path.join(__dirname, '..', 'scenarios');
const scenario = (name: string): string => path.join(SCENARIOS, `${name}.xml`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.teardown(() => killAll());

async function withSim(opts: Partial<SimulatorOptions> = {}): Promise<{ sim: Simulator; port: number }> {
  const sim = await startSimulator({ carriers: [{ id: 'carrier-x', host: '127.0.0.1', port: 0, transport: 'both' }], seed: 42, ...opts });
  return { sim, port: sim.get('carrier-x').port };
}

function sipp(port: number, o: Omit<SippOptions, 'remote' | 'timeoutMs'> & { timeoutMs?: number }): Promise<SippResult> {
  return runSipp({ timeoutMs: 60_000, ...o, remote: `127.0.0.1:${port}` });
}

/** Wait (bounded) until the simulator's state settles, e.g. activeCalls back to 0. */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** A raw UDP peer collecting everything it receives. */
class UdpPeer {
  readonly got: string[] = [];
  private constructor(readonly sock: dgram.Socket, readonly port: number) {
    sock.on('message', (m) => this.got.push(m.toString('utf8')));
  }
  static async open(): Promise<UdpPeer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new UdpPeer(s, s.address().port);
  }
  send(to: number, text: string): void {
    this.sock.send(Buffer.from(text), to, '127.0.0.1');
  }
  /** Messages matching `re` received so far, waiting up to `ms` for at least `n`. */
  async collect(re: RegExp, n = 1, ms = 2000): Promise<string[]> {
    await until(() => this.got.filter((m) => re.test(m)).length >= n, ms);
    return this.got.filter((m) => re.test(m));
  }
  close(): void {
    this.sock.close();
  }
}

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');

function request(o: { method: string; port: number; branch: string; callId: string; cseq?: number; toTag?: string; via?: string; body?: string; extra?: string[]; localPort: number }): string {
  const body = o.body ?? '';
  return [
    `${o.method} sip:+4930123@127.0.0.1:${o.port} SIP/2.0`,
    o.via ?? `Via: SIP/2.0/UDP 127.0.0.1:${o.localPort};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:ivr@127.0.0.1:${o.localPort}>;tag=from-${o.callId}`,
    `To: <sip:+4930123@127.0.0.1:${o.port}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq ?? 1} ${o.method}`,
    `Contact: <sip:ivr@127.0.0.1:${o.localPort}>`,
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const toTagOf = (msg: string): string | undefined => /^To:.*;tag=([^;\s]+)/im.exec(msg)?.[1];
const statusOf = (msg: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(msg)?.[1] ?? 0);

t.test('answer mode: SIPp calls over UDP and TCP all complete, stats agree', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  for (const [transport, calls] of [['u1', 200], ['t1', 100]] as const) {
    sim.resetStats();
    const r = await sipp(port, { scenario: scenario('uac-basic-call'), transport, calls, rate: 50, concurrent: 100, duration: 200 });
    t.equal(r.successful, calls, `${transport}: ${calls} calls successful`);
    t.equal(r.failed, 0, `${transport}: no failures`);
    t.ok(await until(() => sim.stats('carrier-x').activeCalls === 0), `${transport}: no call left active`);
    const s = sim.stats('carrier-x');
    t.equal(s.invites, calls, `${transport}: invites = calls`);
    t.equal(s.answered, calls, `${transport}: answered = calls`);
    t.equal(s.byesReceived, calls, `${transport}: a BYE per call`);
    t.equal(s.malformed, 0);
    t.equal(s.ackTimeouts, 0);
  }
});

t.test('reject mode: 503 and 486 as configured, counted by code', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  for (const code of [503, 486] as const) {
    sim.set('carrier-x', { mode: 'reject', rejectCode: code, ringMs: code === 486 ? 100 : 0 });
    const r = await sipp(port, { scenario: scenario(`uac-expect-${code}`), calls: 10, rate: 20 });
    t.equal(r.successful, 10, `${code}: SIPp saw the ${code} on every call`);
    t.equal(r.failed, 0);
    t.equal(sim.stats('carrier-x').rejected[String(code)], 10, `${code} counted`);
  }
  t.ok(await until(() => sim.stats('carrier-x').activeCalls === 0), 'no call left after the ACKs');
});

t.test('silent mode: SIPp times out, INVITEs (and retransmissions) still counted, lastInviteAt moves', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  sim.set('carrier-x', { mode: 'silent' });
  const before = Date.now();
  const r = await sipp(port, { scenario: scenario('uac-basic-call'), calls: 3, rate: 10, extraArgs: ['-recv_timeout', '1800'] });
  t.equal(r.successful, 0);
  t.equal(r.failed, 3, 'every call timed out at SIPp');
  const s = sim.stats('carrier-x');
  t.equal(s.invites, 3, 'three new INVITEs');
  t.ok(s.inviteRetransmissions >= 3, `retransmissions recognised as such (${s.inviteRetransmissions})`);
  t.ok(s.lastInviteAt !== null && s.lastInviteAt >= before, 'lastInviteAt is the time of the last new INVITE');
  t.equal(s.answered, 0);
  t.equal(s.activeCalls, 0, 'silent calls are not active calls');
});

t.test('noanswer mode: ringing until CANCEL → 200 + 487', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  sim.set('carrier-x', { mode: 'noanswer' });
  const r = await sipp(port, { scenario: scenario('uac-cancel-before-answer'), calls: 10, rate: 20 });
  t.equal(r.successful, 10);
  t.equal(r.failed, 0);
  t.equal(sim.stats('carrier-x').cancelled, 10);
  t.ok(await until(() => sim.stats('carrier-x').activeCalls === 0), 'calls gone after the ACK of the 487');
});

t.test('hangup mode: the carrier sends BYE after holdMs (UDP to the Contact, TCP on the same connection)', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  sim.set('carrier-x', { mode: 'hangup', holdMs: 300 });
  for (const transport of ['u1', 't1'] as const) {
    sim.resetStats();
    const started = Date.now();
    const r = await sipp(port, { scenario: scenario('uac-remote-bye'), transport, calls: 10, rate: 20 });
    t.equal(r.successful, 10, `${transport}: SIPp received and answered every BYE`);
    t.equal(r.failed, 0);
    t.ok(Date.now() - started >= 300, 'held at least holdMs');
    t.ok(await until(() => sim.stats('carrier-x').activeCalls === 0), `${transport}: calls ended by the 200 to BYE`);
    const s = sim.stats('carrier-x');
    t.equal(s.byesSent, 10);
    t.equal(s.byeTimeouts, 0);
  }
});

t.test('OPTIONS: optionsCode 200 (SIPp), 503 with Allow/Accept, 0 = no answer; extraDelayMs delays it', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  const r = await sipp(port, { scenario: scenario('uac-options'), calls: 5, rate: 10 });
  t.equal(r.successful, 5);
  t.equal(sim.stats('carrier-x').options, 5);
  t.ok((sim.stats('carrier-x').lastOptionsAt ?? 0) > 0);

  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  sim.set('carrier-x', { optionsCode: 503 });
  peer.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-o1', callId: 'opt-1', localPort: peer.port }));
  const [res] = await peer.collect(/opt-1/);
  t.equal(statusOf(res ?? ''), 503);
  t.match(res, /^Allow: .*INVITE.*OPTIONS/m);
  t.match(res, /^Accept: application\/sdp/m);
  t.match(res, /^To: .*;tag=/m, 'To-tag added');

  sim.set('carrier-x', { optionsCode: 0 });
  peer.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-o2', callId: 'opt-2', localPort: peer.port }));
  t.same(await peer.collect(/opt-2/, 1, 700), [], 'optionsCode 0: no response');

  sim.set('carrier-x', { optionsCode: 200, extraDelayMs: 400 });
  const sent = Date.now();
  peer.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-o3', callId: 'opt-3', localPort: peer.port }));
  const [late] = await peer.collect(/opt-3/);
  t.equal(statusOf(late ?? ''), 200);
  t.ok(Date.now() - sent >= 350, 'answered after extraDelayMs');
});

t.test('dropPercent=10: SIPp calls complete through retransmissions; ~10 % of received packets dropped', async (t) => {
  const { sim, port } = await withSim({ seed: 7 });
  t.teardown(() => sim.stop());
  sim.set('carrier-x', { dropPercent: 10 });
  // INVITE/BYE retransmissions (SIPp) and 2xx retransmissions (sim) recover every loss. The scenario uses
  // SIPp transactions: plain uac-basic-call takes a 200 retransmitted for a lost ACK as the BYE's 200.
  const r = await sipp(port, { scenario: scenario('uac-basic-call'), calls: 100, rate: 25, duration: 100, timeoutMs: 90_000 });
  t.equal(r.successful, 100, 'every call completed');
  t.equal(r.failed, 0);
  t.ok(r.retransmissions > 0, `SIPp retransmitted (${r.retransmissions})`);
  t.ok(await until(() => sim.stats('carrier-x').activeCalls === 0, 20_000), 'no call left active');
  const s = sim.stats('carrier-x');
  const ratio = s.droppedPackets / s.packetsReceived;
  t.ok(ratio > 0.05 && ratio < 0.15, `dropped ${s.droppedPackets}/${s.packetsReceived} = ${(ratio * 100).toFixed(1)} %`);
  t.equal(s.invites, 100, 'a lost INVITE is not a call; retransmissions are not new calls');
  t.equal(s.byesReceived, 100, 'every call ended by its BYE');
  t.equal(s.ackTimeouts, 0, 'every lost ACK recovered by a 2xx retransmission');
});

t.test('HTTP control API: read, PATCH live, bad patches 400, unknown carrier 404', async (t) => {
  const { sim, port } = await withSim({ http: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => sim.stop());
  const base = `http://127.0.0.1:${sim.http!.port}`;
  const call = async (method: string, p: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(base + p, { method, ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  t.equal((await call('GET', '/health')).json.status, 'ok');
  const list = await call('GET', '/carriers');
  t.equal((list.json as unknown as unknown[]).length, 1);

  const ok = await call('PATCH', '/carriers/carrier-x', JSON.stringify({ mode: 'reject', rejectCode: 503 }));
  t.equal(ok.status, 200);
  t.match(ok.json, { behaviour: { mode: 'reject', rejectCode: 503 } });
  const r = await sipp(port, { scenario: scenario('uac-expect-503'), calls: 3, rate: 10 });
  t.equal(r.successful, 3, 'the PATCH took effect for new calls');
  const one = await call('GET', '/carriers/carrier-x');
  t.match(one.json, { id: 'carrier-x', stats: { invites: 3, rejected: { 503: 3 } } });

  const bad = await call('PATCH', '/carriers/carrier-x', JSON.stringify({ mode: 'explode', dropPercent: 101, colour: 'red' }));
  t.equal(bad.status, 400);
  t.match(String(bad.json.error), /mode.*explode/);
  t.match(String(bad.json.error), /dropPercent: 101 is out of range 0–100/);
  t.match(String(bad.json.error), /unknown key "colour"/);
  t.equal(sim.get('carrier-x').behaviour.mode, 'reject', 'a bad patch changes nothing');
  t.equal((await call('PATCH', '/carriers/carrier-x', '{nope')).status, 400, 'not JSON → 400');
  t.equal((await call('PATCH', '/carriers/carrier-x', '[1]')).status, 400, 'not an object → 400');
  t.equal((await call('PATCH', '/carriers/nobody', '{}')).status, 404);
  t.equal((await call('GET', '/carriers/nobody')).status, 404);
  t.equal((await call('DELETE', '/carriers/carrier-x')).status, 405);
  t.equal((await call('POST', '/reset')).status, 200);
  t.equal(sim.stats('carrier-x').invites, 0, 'POST /reset zeroes the counters');
  t.throws(() => sim.set('carrier-x', { ringMs: -1 }), /ringMs: -1 is out of range/);
});

t.test('INVITE transaction over raw UDP: retransmission → same response; CANCEL → 487 retransmitted until ACK', async (t) => {
  const { sim, port } = await withSim({ timings: { t1: 50, t2: 200, tMax: 2000 } });
  t.teardown(() => sim.stop());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  sim.set('carrier-x', { mode: 'noanswer' });
  const inv = request({ method: 'INVITE', port, branch: 'z9hG4bK-i1', callId: 'inv-1', body: SDP, localPort: peer.port });
  peer.send(port, inv);
  await peer.collect(/^SIP\/2\.0 180/, 1);
  peer.send(port, inv);
  const ringing = await peer.collect(/^SIP\/2\.0 180/, 2);
  t.equal(ringing.length, 2, 'the retransmitted INVITE got the last response (180) again');
  t.equal(sim.stats('carrier-x').invites, 1, 'one call');
  t.equal(sim.stats('carrier-x').inviteRetransmissions, 1);
  t.equal(sim.stats('carrier-x').activeCalls, 1);

  peer.send(port, request({ method: 'CANCEL', port, branch: 'z9hG4bK-i1', callId: 'inv-1', localPort: peer.port }));
  const finals = await peer.collect(/^SIP\/2\.0 487/, 3);
  t.ok(finals.length >= 3, `487 retransmitted while no ACK (${finals.length})`);
  t.match(peer.got.find((m) => /CSeq: 1 CANCEL/.test(m)), /^SIP\/2\.0 200/, '200 for the CANCEL');
  const tag = toTagOf(finals[0]!);
  peer.send(port, request({ method: 'ACK', port, branch: 'z9hG4bK-i1', callId: 'inv-1', toTag: tag, localPort: peer.port }));
  await sleep(150);
  const count = peer.got.filter((m) => /^SIP\/2\.0 487/.test(m)).length;
  await sleep(500);
  t.equal(peer.got.filter((m) => /^SIP\/2\.0 487/.test(m)).length, count, 'the ACK stopped the retransmissions');
  t.equal(sim.stats('carrier-x').activeCalls, 0);
  t.equal(sim.stats('carrier-x').cancelled, 1);
});

t.test('2xx retransmitted (T1 doubling to T2) until the ACK; with no ACK the call is cleaned up after 64·T1', async (t) => {
  const { sim, port } = await withSim({ timings: { t1: 50, t2: 200, tMax: 1500 } });
  t.teardown(() => sim.stop());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  peer.send(port, request({ method: 'INVITE', port, branch: 'z9hG4bK-n1', callId: 'noack-1', body: SDP, localPort: peer.port }));
  await sleep(1000);
  const oks = peer.got.filter((m) => /^SIP\/2\.0 200/.test(m));
  // 0, 50, 150, 350, 550, 750, 950 ms → 7 sends in the first second.
  t.ok(oks.length >= 6 && oks.length <= 8, `200 OK sent ${oks.length} times in 1 s`);
  t.match(oks[0], /^Content-Type: application\/sdp/m);
  t.match(oks[0], /^c=IN IP4 127\.0\.0\.1/m, 'SDP answer on loopback');
  t.match(oks[0], /^m=audio \d+ RTP\/AVP 0 101/m, 'PCMU + telephone-event accepted');
  t.match(oks[0], /^Contact: <sip:carrier-x@127\.0\.0\.1:\d+;transport=udp>/m);
  t.ok(await until(() => sim.stats('carrier-x').ackTimeouts === 1, 2000), 'ACK timeout counted');
  t.equal(sim.stats('carrier-x').activeCalls, 0, 'call state dropped');
  const n = peer.got.length;
  await sleep(400);
  t.equal(peer.got.length, n, 'nothing sent after giving up');
});

t.test('in-dialog requests: re-INVITE, UPDATE, INFO → 200; BYE → 200, its retransmission → 200; unknown dialog → 481', async (t) => {
  const { sim, port } = await withSim({ timings: { t1: 50, t2: 200, tMax: 2000 } });
  t.teardown(() => sim.stop());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  const base = { port, callId: 'dlg-1', localPort: peer.port };
  peer.send(port, request({ ...base, method: 'INVITE', branch: 'z9hG4bK-d1', body: SDP }));
  const [ok] = await peer.collect(/^SIP\/2\.0 200/);
  const tag = toTagOf(ok ?? '');
  t.ok(tag, 'the 200 has a To-tag');
  peer.send(port, request({ ...base, method: 'ACK', branch: 'z9hG4bK-d1ack', toTag: tag }));
  await sleep(100);
  peer.got.length = 0;

  peer.send(port, request({ ...base, method: 'INVITE', branch: 'z9hG4bK-d2', cseq: 2, toTag: tag, body: SDP }));
  const [re] = await peer.collect(/CSeq: 2 INVITE/);
  t.equal(statusOf(re ?? ''), 200, 're-INVITE → 200');
  t.match(re, /^o=trunkwise-sim \d+ 2 /m, 'new SDP version');
  peer.send(port, request({ ...base, method: 'ACK', branch: 'z9hG4bK-d2ack', cseq: 2, toTag: tag }));
  for (const [method, cseq] of [['UPDATE', 3], ['INFO', 4]] as const) {
    peer.send(port, request({ ...base, method, branch: `z9hG4bK-d${cseq}`, cseq, toTag: tag }));
    const [res] = await peer.collect(new RegExp(`CSeq: ${cseq} ${method}`));
    t.equal(statusOf(res ?? ''), 200, `${method} → 200`);
  }
  const bye = request({ ...base, method: 'BYE', branch: 'z9hG4bK-d5', cseq: 5, toTag: tag });
  peer.send(port, bye);
  t.equal(statusOf((await peer.collect(/CSeq: 5 BYE/))[0] ?? ''), 200, 'BYE → 200');
  t.equal(sim.stats('carrier-x').activeCalls, 0);
  peer.send(port, bye);
  t.equal((await peer.collect(/CSeq: 5 BYE/, 2)).map(statusOf).join(), '200,200', 'retransmitted BYE → 200 again');
  peer.send(port, request({ ...base, method: 'BYE', branch: 'z9hG4bK-d6', cseq: 6, toTag: tag }));
  t.equal(statusOf((await peer.collect(/CSeq: 6 BYE/))[0] ?? ''), 200, 'new BYE for the just-ended dialog → 200');
  peer.send(port, request({ ...base, callId: 'nobody', method: 'BYE', branch: 'z9hG4bK-d7', cseq: 7, toTag: 'zzz' }));
  t.equal(statusOf((await peer.collect(/CSeq: 7 BYE/))[0] ?? ''), 481, 'BYE for an unknown dialog → 481');
  t.equal(sim.stats('carrier-x').byesReceived, 1, 'one BYE ended a call');
});

t.test('other methods: 405 (known) / 501 (unknown) with Allow; Require → 420', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  peer.send(port, request({ method: 'REGISTER', port, branch: 'z9hG4bK-m1', callId: 'm-1', localPort: peer.port }));
  peer.send(port, request({ method: 'FROBNICATE', port, branch: 'z9hG4bK-m2', callId: 'm-2', localPort: peer.port }));
  peer.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-m3', callId: 'm-3', localPort: peer.port, extra: ['Require: 100rel'] }));
  const reg = (await peer.collect(/Call-ID: m-1/))[0] ?? '';
  t.equal(statusOf(reg), 405);
  t.match(reg, /^Allow: /m);
  t.equal(statusOf((await peer.collect(/Call-ID: m-2/))[0] ?? ''), 501);
  const req = (await peer.collect(/Call-ID: m-3/))[0] ?? '';
  t.equal(statusOf(req), 420);
  t.match(req, /^Unsupported: 100rel/m);
});

t.test('responses follow the Via (RFC 3261 §18.2.2): no rport → sent-by port, rport → source port', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  const sender = await UdpPeer.open();
  const viaTarget = await UdpPeer.open();
  t.teardown(() => { sender.close(); viaTarget.close(); });
  sender.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-v1', callId: 'via-1', localPort: sender.port, via: `Via: SIP/2.0/UDP 127.0.0.1:${viaTarget.port};branch=z9hG4bK-v1` }));
  const [toSentBy] = await viaTarget.collect(/via-1/);
  t.ok(toSentBy, 'without rport the response went to the sent-by port');
  sender.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-v2', callId: 'via-2', localPort: sender.port, via: `Via: SIP/2.0/UDP 127.0.0.1:${viaTarget.port};branch=z9hG4bK-v2;rport` }));
  const [toSource] = await sender.collect(/via-2/);
  t.match(toSource, new RegExp(`^Via: .*;rport=${sender.port}`, 'm'), 'rport filled in, response to the source port');
  sender.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-v3', callId: 'via-3', localPort: sender.port, via: `Via: SIP/2.0/UDP 10.9.9.9:${sender.port};branch=z9hG4bK-v3;rport` }));
  const [received] = await sender.collect(/via-3/);
  t.match(received, /^Via: .*;received=127\.0\.0\.1/m, 'received= added when sent-by differs from the source');
});

t.test('malformed input: 400 where possible, otherwise dropped and counted; the carrier keeps serving', async (t) => {
  const { sim, port } = await withSim();
  t.teardown(() => sim.stop());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  peer.send(port, 'complete junk \x00\x01\x02');
  peer.send(port, `INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-bad1;rport\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`);
  peer.send(port, request({ method: 'OPTIONS', port, branch: 'z9hG4bK-bad2', callId: 'bad-2', localPort: peer.port, extra: ['Content-Length: 999'] }).replace(/Content-Length: 0\r\n/, ''));
  const bad = await peer.collect(/^SIP\/2\.0 400/, 2);
  t.equal(bad.length, 2, 'missing Call-ID and a lying Content-Length → 400');
  t.match(bad.join('\n'), /missing Call-ID/);

  const conn = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => conn.once('connect', () => r()));
  const closed = new Promise<void>((r) => conn.once('close', () => r()));
  conn.on('error', () => undefined);
  conn.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-t\r\n\r\n'); // no Content-Length on a stream
  await Promise.race([closed, sleep(2000)]);
  t.ok(conn.destroyed || conn.readyState === 'closed', 'unframeable TCP stream closed');
  conn.destroy();

  t.ok(await until(() => sim.stats('carrier-x').malformed >= 4), `malformed counted (${sim.stats('carrier-x').malformed})`);

  // 400 mutations of a valid INVITE (bytes flipped, truncated, duplicated): nothing may throw or wedge.
  const valid = Buffer.from(request({ method: 'INVITE', port, branch: 'z9hG4bK-fz', callId: 'fuzz', body: SDP, localPort: peer.port }));
  let seed = 1;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 400; i++) {
    const m = Buffer.from(valid);
    for (let k = 0; k < 1 + rnd(8); k++) m[rnd(m.length)] = rnd(256);
    const cut = rnd(4) === 0 ? m.subarray(0, rnd(m.length)) : m;
    peer.sock.send(rnd(5) === 0 ? Buffer.concat([cut, cut]) : cut, port, '127.0.0.1');
    if (i % 50 === 49) await sleep(20);
  }
  await sleep(300);
  const r = await sipp(port, { scenario: scenario('uac-basic-call'), calls: 5, rate: 10 });
  t.equal(r.successful, 5, 'still carrying calls afterwards');
});

t.test('many simulators start and stop in one process; port 0 reported back; ports released', async (t) => {
  const sims: Simulator[] = [];
  for (let i = 0; i < 5; i++) {
    sims.push(await startSimulator({
      carriers: [{ id: 'a', host: '127.0.0.1', port: 0, transport: 'both' }, { id: 'b', host: '127.0.0.1', port: 0, transport: 'udp' }],
      http: { host: '127.0.0.1', port: 0 },
    }));
  }
  const ports = sims.flatMap((s) => s.list().map((c) => c.port));
  t.equal(new Set(ports).size, 10, 'distinct ephemeral ports');
  t.ok(ports.every((p) => p > 0));
  for (const s of sims) await s.stop();
  const [p] = ports;
  const u = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { u.once('error', reject); u.bind(p, '127.0.0.1', () => resolve()); });
  u.close();
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(p, '127.0.0.1', () => resolve()); });
  srv.close();
  t.pass('UDP and TCP port free again after stop()');
  await t.rejects(startSimulator({ carriers: [{ id: 'a', host: '127.0.0.1', port: 0, transport: 'both' }, { id: 'a', host: '127.0.0.1', port: 0, transport: 'both' }] }), /duplicate/);
  const [busy] = await freePorts(1);
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(busy, '127.0.0.1', () => r()));
  await t.rejects(startSimulator({ carriers: [{ id: 'a', host: '127.0.0.1', port: busy!, transport: 'both' }] }), /EADDRINUSE/, 'a taken fixed port is an error');
  holder.close();
});
