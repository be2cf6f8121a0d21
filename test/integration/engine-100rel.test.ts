/**
 * RFC 3262 reliable provisionals on both legs, as drachtio-server (sofia) does them:
 * - carrier leg: a carrier sends 183 + Require: 100rel + RSeq + SDP and waits for the PRACK, which
 *   srf sends (createUAC calls ack() on a 1xx with RSeq) and the engine routes in the early dialog;
 * - caller leg: an IVR offering Supported: 100rel gets the app's 183 reliably (RSeq, retransmitted
 *   until PRACK), its PRACK reaches the app, and the 2xx follows.
 * Edge cases with a scripted peer: no PRACK → 503 after 64·T1, PRACK with a wrong RAck → 481, no 100rel
 * support → the app is refused, 2xx held until the PRACK, retransmitted reliable 1xx PRACKed once.
 */
import t from 'tap';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { runSipp, startSippServer, freePorts, killAll, sippErrors } from '../helpers/sipp';
import { startEngineUnderTest, parseHostports, embeddedOnly, waitForEngineIdle, assertEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { RawSipPeer, ids, isRequest, isResponse, request, response, SDP } from '../apps/raw-sip-peer';
import type { SipRequest } from '../../src/sip/message';

const SC = (name: string): string => path.join(__dirname, '..', 'scenarios', name);
const T1 = 20; // 64·T1 = 1.28 s on the embedded engine; an external one keeps its own T1

type Mode = { kind: 'b2bua'; target: string } | { kind: 'reliable183'; holdFinal?: boolean } | { kind: 'manual'; on: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void };
let mode: Mode = { kind: 'reliable183' };
let engine: EngineUnderTest;
let srf: Srf;
let udp: { address: string; port: number };
const seen = { pracks: 0, connected: 0, failed: 0 };

t.before(async () => {
  engine = await startEngineUnderTest({ timers: { T1, T2: 4 * T1, T4: 5 * T1 } });
  srf = new Srf();
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    if (mode.kind === 'manual') return mode.on(req, res);
    if (mode.kind === 'b2bua') {
      srf.createB2BUA(req, res, mode.target, {}).then(({ uas, uac }) => {
        seen.connected++;
        uas.on('destroy', () => uac.destroy());
        uac.on('destroy', () => uas.destroy());
      }, () => void seen.failed++);
      return;
    }
    // The app's own reliable 183, then the 200 once the PRACK is in (srf's fnPrack).
    sendReliable183(res, () => undefined, () => {
      seen.pracks++;
      srf.createUAS(req, res, { localSdp: SDP }).then(() => void seen.connected++, () => void seen.failed++);
    });
  });
  udp = parseHostports(await connectSrf(srf, engine.wire)).udp!;
});

t.teardown(async () => {
  killAll();
  srf.disconnect();
  await engine.stop();
});

/** srf's real Response#send(status, reason, opts, callback, fnPrack); its type file omits fnPrack. */
function sendReliable183(res: Srf.SrfResponse, onSent: (err: unknown) => void, onPrack?: (prack: Srf.SrfRequest) => void): void {
  Reflect.apply(res.send, res, [183, 'Session Progress', { headers: { Require: '100rel' }, body: SDP }, onSent, onPrack]);
}

const reset = (): void => {
  Object.assign(seen, { pracks: 0, connected: 0, failed: 0 });
};

t.test('carrier sends 183 + Require: 100rel + SDP: it gets its PRACK (RAck right), the call completes', async (t) => {
  reset();
  const [port] = await freePorts(1);
  const carrier = await startSippServer({ scenario: SC('uas-carrier-183-100rel.xml'), localPort: port!, transport: 'u1', timeoutMs: 60_000 });
  mode = { kind: 'b2bua', target: `sip:127.0.0.1:${port}` };
  const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `${udp.address}:${udp.port}`, calls: 10, rate: 10, duration: 200, timeoutMs: 60_000 });
  await new Promise((res) => setTimeout(res, 800));
  const c = await carrier.stop();
  if (r.failed || c.failed) t.comment(`caller:\n${sippErrors(r.dir)}\ncarrier:\n${sippErrors(c.dir)}`);
  t.equal(r.successful, 10, 'every call completed');
  t.equal(c.successful, 10, 'the carrier got a PRACK with RAck "1 <cseq> INVITE" for every 183');
  t.equal(seen.connected, 10);
  await assertEngineIdle(t, engine, 3000, 'after the calls', true);
});

t.test('IVR offering Supported: 100rel: the app\'s 183 goes reliably, the PRACK reaches the app, then 200', async (t) => {
  reset();
  mode = { kind: 'reliable183' };
  const r = await runSipp({ scenario: SC('uac-ivr-100rel.xml'), remote: `${udp.address}:${udp.port}`, calls: 10, rate: 10, timeoutMs: 60_000 });
  if (r.failed) t.comment(sippErrors(r.dir));
  t.equal(r.successful, 10, 'every call: reliable 183 (RSeq, Require: 100rel), PRACK answered 200, then 200/ACK/BYE');
  t.equal(seen.pracks, 10, 'each PRACK reached the app');
  await assertEngineIdle(t, engine, 3000, 'after the calls', true);
});

async function inviteFromPeer(peer: RawSipPeer, extra: string[]): Promise<ReturnType<typeof ids>> {
  const id = ids('rel');
  peer.send(request({ peerPort: peer.port, target: udp, ...id, extra }), udp.port, udp.address);
  return id;
}

t.test('no PRACK: the reliable 183 is retransmitted at T1, 2·T1, 4·T1 …, then 503 after 64·T1 (RFC 3262 §3)', { skip: embeddedOnly('waits for 64·T1 with T1 = 20 ms (an engine setting)') }, async (t) => {
  const peer = await RawSipPeer.open();
  try {
    mode = { kind: 'manual', on: (_req, res) => sendReliable183(res, () => undefined) };
    await inviteFromPeer(peer, ['Supported: 100rel']);
    const final = await peer.wait(isResponse(503, 'INVITE'), 4000, '503');
    t.equal((final.message as { reason: string }).reason, 'Reliable Response Time-Out');
    const rel = peer.received.filter(isResponse(183));
    t.ok(rel.length >= 5 && rel.length <= 8, `183 sent then retransmitted with doubling (${rel.length} copies)`);
    t.equal(new Set(rel.map((r) => r.message.headers.get('rseq'))).size, 1, 'every copy has the same RSeq');
    t.match(rel[0]!.message.headers.get('require') ?? '', /100rel/);
    const span = final.at - rel[0]!.at;
    t.ok(span >= 64 * T1 - 5 && span < 64 * T1 + 1500, `503 64·T1 after the first 183 (${span} ms)`);
    await assertEngineIdle(t, engine, 500, 'early dialog gone', true);
  } finally {
    peer.close();
  }
});

t.test('a PRACK whose RAck matches nothing gets 481; the right one gets to the app', async (t) => {
  const peer = await RawSipPeer.open();
  let pracked = 0;
  try {
    mode = { kind: 'manual', on: (req, res) => sendReliable183(res, () => undefined, () => {
      pracked++;
      srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
    }) };
    const id = await inviteFromPeer(peer, ['Supported: 100rel']);
    const rel = await peer.wait(isResponse(183, 'INVITE'), 2000, '183');
    const rseq = Number(rel.message.headers.get('rseq'));
    const toTag = /;tag=([^;]+)/.exec(rel.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}p1`, method: 'PRACK', toTag, cseq: 2, body: '', extra: [`RAck: ${rseq + 5} 1 INVITE`] }), udp.port);
    await peer.wait(isResponse(481, 'PRACK'), 2000, '481 to the wrong PRACK');
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}p2`, method: 'PRACK', toTag, cseq: 3, body: '', extra: [`RAck: ${rseq} 1 INVITE`] }), udp.port);
    await peer.wait(isResponse(200, 'PRACK'), 2000, '200 to the right PRACK');
    const ok = await peer.wait(isResponse(200, 'INVITE'), 2000, '200 to the INVITE');
    t.equal(pracked, 1, 'only the matching PRACK reached the app');
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}a`, method: 'ACK', toTag, body: '' }), udp.port);
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}b`, method: 'BYE', toTag, cseq: 4, body: '' }), udp.port);
    await peer.wait(isResponse(200, 'BYE'), 2000, '200 to BYE');
    t.ok(ok.at > 0);
  } finally {
    peer.close();
  }
});

t.test('the caller did not offer 100rel: the app\'s reliable 183 is refused (drachtio\'s NOK text)', async (t) => {
  const peer = await RawSipPeer.open();
  const errors: string[] = [];
  try {
    mode = { kind: 'manual', on: (_req, res) => sendReliable183(res, (err: unknown) => {
      if (err) errors.push(String(err));
      res.send(480);
    }) };
    await inviteFromPeer(peer, []);
    await peer.wait(isResponse(480, 'INVITE'), 2000, '480');
    t.same(errors, ['Remote endpoint does not support 100rel']);
    t.equal(peer.count(isResponse(183)), 0, 'no 183 sent');
  } finally {
    peer.close();
  }
});

t.test('a 2xx is held until the PRACK of a reliable 183 that carried SDP', async (t) => {
  const peer = await RawSipPeer.open();
  try {
    mode = { kind: 'manual', on: (req, res) => {
      sendReliable183(res, () => undefined);
      setTimeout(() => srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined), 30);
    } };
    const id = await inviteFromPeer(peer, ['Supported: 100rel']);
    const rel = await peer.wait(isResponse(183, 'INVITE'), 2000, '183');
    await new Promise((r) => setTimeout(r, 200));
    t.equal(peer.count(isResponse(200, 'INVITE')), 0, 'no 200 while the 183 is un-PRACKed');
    const toTag = /;tag=([^;]+)/.exec(rel.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}p`, method: 'PRACK', toTag, cseq: 2, body: '', extra: [`RAck: ${rel.message.headers.get('rseq')} 1 INVITE`] }), udp.port);
    await peer.wait(isResponse(200, 'INVITE'), 2000, '200 released by the PRACK');
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}a`, method: 'ACK', toTag, body: '' }), udp.port);
    peer.send(request({ peerPort: peer.port, target: udp, ...id, branch: `${id.branch}b`, method: 'BYE', toTag, cseq: 3, body: '' }), udp.port);
    await peer.wait(isResponse(200, 'BYE'), 2000, '200 to BYE');
  } finally {
    peer.close();
  }
});

t.test('carrier retransmits its reliable 183: the app (and the carrier) see one PRACK; early dialog tracked', async (t) => {
  const peer = await RawSipPeer.open();
  const provisionals: number[] = [];
  try {
    const outcome = srf.createUAC(`sip:carrier@127.0.0.1:${peer.port}`, { localSdp: SDP } as Srf.CreateUACOptions, {
      cbProvisional: (res: Srf.SrfResponse) => void provisionals.push(res.status),
    }).then((d: Srf.Dialog) => { d.destroy(); return 'connected'; }, (e: { status?: number }) => String(e.status));
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    const rel = response(inv.message, 183, 'Session Progress', { toTag: 'c183', contactPort: peer.port, extra: ['Require: 100rel', 'RSeq: 77'], body: SDP });
    peer.send(rel, inv.from.port);
    const prack = await peer.wait(isRequest('PRACK'), 2000, 'PRACK');
    t.equal(prack.message.headers.get('rack'), `77 ${/^\d+/.exec(inv.message.headers.get('cseq') ?? '')![0]} INVITE`, 'RAck names RSeq 77 and the INVITE');
    t.equal((prack.message as SipRequest).uri, `sip:peer@127.0.0.1:${peer.port}`, 'PRACK goes to the 183\'s Contact (early dialog remote target)');
    t.match(prack.message.headers.get('to') ?? '', /;tag=c183/, 'in the early dialog');
    peer.send(rel, inv.from.port); // retransmission (our PRACK "was lost")
    peer.send(response(prack.message, 200, 'OK'), prack.from.port);
    await new Promise((r) => setTimeout(r, 200));
    // Count PRACK transactions (CSeq), not datagrams: timer E may retransmit the one PRACK (T1 = 20 ms).
    const pracks = new Set(peer.received.filter(isRequest('PRACK')).map((r) => r.message.headers.get('cseq')));
    t.equal(pracks.size, 1, 'one PRACK: the retransmitted 183 was not passed up again');
    t.same(provisionals, [183]);
    peer.send(response(inv.message, 200, 'OK', { toTag: 'c183', contactPort: peer.port, body: SDP }), inv.from.port);
    await peer.wait(isRequest('ACK'), 2000, 'ACK');
    const bye = await peer.wait(isRequest('BYE'), 2000, 'BYE');
    peer.send(response(bye.message, 200, 'OK'), bye.from.port);
    t.equal(await outcome, 'connected');
  } finally {
    peer.close();
  }
});

t.test('all dialogs and transactions of this file end within timer D', { skip: embeddedOnly('reads the engine\'s counters') }, async (t) => {
  const counts = await waitForEngineIdle(engine.embedded!, 33_000);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 }, JSON.stringify(engine.embedded!.dialogSummaries()));
});
