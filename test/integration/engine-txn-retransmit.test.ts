/**
 * Issue 11, on real sockets: a server transaction that has its final response keeps only that
 * response's bytes, and re-sends them — byte for byte — for timer G and for a retransmitted INVITE;
 * the long timers on the coarse wheel (H here: T1 = 70 ms, so 64·T1 = 4.48 s, past the wheel's 4 s
 * threshold) still fire and end an un-ACKed 2xx; the engine's transactions and dialogs return to 0.
 * About 7 s.
 */
import t from 'tap';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { WHEEL_MIN_MS } from '../../src/engine/transaction/clock';
import { startEngineUnderTest, parseHostports, embeddedOnly, assertEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { RawSipPeer, ids, isResponse, request, response, SDP, type Received } from '../apps/raw-sip-peer';

const T1 = 70;
const skip = embeddedOnly('needs the embedded engine\'s T1 (70 ms)');

let engine: EngineUnderTest;
let srf: Srf;
let target: { address: string; port: number };

t.before(async () => {
  if (skip) return;
  engine = await startEngineUnderTest({ timers: { T1, T2: 4 * T1, T4: 5 * T1 } });
  srf = new Srf();
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    if (req.get('Subject') === 'busy') return res.send(486);
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  target = parseHostports(await connectSrf(srf, engine.wire)).udp!;
});

t.teardown(async () => {
  if (skip) return;
  srf.disconnect();
  await engine.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const texts = (peer: RawSipPeer, status: number): string[] => peer.received.filter((r: Received) => isResponse(status, 'INVITE')(r)).map((r) => r.text);

t.test('486 not ACKed: timer G and a retransmitted INVITE re-send the same bytes; the ACK stops them', { skip }, async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const id = ids('g486');
    const invite = request({ peerPort: peer.port, target, ...id, extra: ['Subject: busy'] });
    peer.send(invite, target.port, target.address);
    await peer.wait(isResponse(486, 'INVITE'), 2000, '486');
    await sleep(3 * T1 + 40); // G at T1 and 3·T1 after the first
    peer.send(invite, target.port, target.address); // a retransmitted INVITE: the 486 again
    await sleep(40);
    const sent = texts(peer, 486);
    t.ok(sent.length >= 4, `486 re-sent by timer G and for the retransmitted INVITE (${sent.length})`);
    t.ok(sent.every((x) => x === sent[0]), 'every copy byte for byte the first');
    const toTag = /;tag=([^;\s]+)/.exec(peer.received.find(isResponse(486, 'INVITE'))!.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target, ...id, method: 'ACK', toTag, body: '' }), target.port, target.address);
    await sleep(60);
    const n = texts(peer, 486).length;
    await sleep(4 * T1);
    t.equal(texts(peer, 486).length, n, 'no 486 after the ACK');
  } finally {
    peer.close();
  }
});

t.test('200 never ACKed: retransmitted byte for byte until timer H (on the wheel) ends it', { skip }, async (t) => {
  t.ok(64 * T1 >= WHEEL_MIN_MS, 'timer H is one of the wheel\'s');
  const peer = await RawSipPeer.open();
  try {
    const id = ids('h200');
    peer.send(request({ peerPort: peer.port, target, ...id }), target.port, target.address);
    const ok = await peer.wait(isResponse(200, 'INVITE'), 2000, '200');
    await sleep(3 * T1 + 40);
    const early = texts(peer, 200);
    t.ok(early.length >= 3, `200 re-sent by timer G (${early.length})`);
    t.ok(early.every((x) => x === early[0]), 'every copy byte for byte the first (SDP included)');
    t.match(early[0]!, /m=audio/);
    // Timer H: the engine gives up on the ACK and ends the dialog with a BYE to the caller.
    const bye = await peer.wait((r) => r.message.kind === 'request' && r.message.method === 'BYE', 64 * T1 + 2000, 'BYE after timer H');
    peer.send(response(bye.message, 200, 'OK'), bye.from.port, bye.from.address);
    const afterH = bye.at - ok.at;
    t.ok(afterH >= 64 * T1 - 5, `H fired no earlier than 64·T1 (${afterH} ms)`);
    t.ok(afterH <= 64 * T1 + 800, `and at most a few wheel slots late (${afterH} ms)`);
    const n = texts(peer, 200).length;
    await sleep(3 * 4 * T1);
    t.equal(texts(peer, 200).length, n, 'no 200 after timer H');
  } finally {
    peer.close();
  }
  await assertEngineIdle(t, engine, 64 * T1 + 2000, 'after timer H and L');
});
