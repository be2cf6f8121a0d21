/**
 * The engine's UAS side against a scripted caller (real UDP) and an unchanged drachtio-srf app:
 * dialogs that end badly must still end — timer H with an unroutable Contact (issue 9), ring then
 * reject, rejected re-INVITEs, overlapping re-INVITEs (RFC 3261 §14.2). Short T1 so timers fire fast.
 */
import t from 'tap';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { startEngineUnderTest, parseHostports, embeddedOnly, assertEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { RawSipPeer, ids, isRequest, isResponse, request, SDP } from '../apps/raw-sip-peer';

const T1 = 10; // timer H = 64·T1 = 640 ms (embedded engine; an external one runs its own T1)
const timerH = embeddedOnly('waits for timer H with T1 = 10 ms');

let engine: EngineUnderTest;
let srf: Srf;
let target: { address: string; port: number };
let handler: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void = (_q, res) => res.send(480);
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

t.before(async () => {
  process.on('unhandledRejection', onUnhandled);
  engine = await startEngineUnderTest({ timers: { T1, T2: 4 * T1, T4: 5 * T1 } });
  srf = new Srf();
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => handler(req, res));
  target = parseHostports(await connectSrf(srf, engine.wire)).udp!;
});

t.teardown(async () => {
  process.off('unhandledRejection', onUnhandled);
  srf.disconnect();
  await engine.stop();
});

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

for (const [label, contact] of [['a tel: URI', '<tel:+15551234567>'], ['a host that does not resolve', '<sip:peer@no-such-host.invalid:5060>']] as const) {
  t.test(`timer H with ${label} as Contact: no unhandled rejection, dialog gone, app told (issue 9)`, { skip: timerH }, async (t) => {
    const peer = await RawSipPeer.open();
    const destroyed: string[] = [];
    handler = (req, res) => {
      srf.createUAS(req, res, { localSdp: SDP }).then((d: Srf.Dialog) => {
        (d as unknown as { on(e: 'destroy', f: (m: unknown, reason: string) => void): void }).on('destroy', (_m, reason) => void destroyed.push(reason));
      }, () => undefined);
    };
    try {
      const id = ids('h');
      peer.send(request({ peerPort: peer.port, target, ...id, contact }), target.port, target.address);
      await peer.wait(isResponse(200, 'INVITE'), 2000, '200 OK');
      // Never ACK: timer H (640 ms) fires, the engine tries to BYE a Contact it cannot route.
      t.ok(await until(() => destroyed.length === 1, 3000), 'the app got its unsolicited BYE (srf "destroy")');
      t.equal(destroyed[0], 'ACK timeout', 'with the Reason text drachtio-server uses');
      await new Promise((r) => setTimeout(r, 100));
      t.same(unhandled.map(String), [], 'no unhandled promise rejection');
      await assertEngineIdle(t, engine, 2000, 'after timer H');
    } finally {
      peer.close();
    }
  });
}

t.test('ring then reject: the caller\'s ACK for the 486 stops the retransmissions; no dialog left', async (t) => {
  const peer = await RawSipPeer.open();
  handler = (_req, res) => {
    res.send(180);
    setTimeout(() => res.send(486), 30);
  };
  try {
    const id = ids('rr');
    peer.send(request({ peerPort: peer.port, target, ...id }), target.port, target.address);
    const ringing = await peer.wait(isResponse(180, 'INVITE'), 2000, '180');
    t.match(ringing.message.headers.get('to') ?? '', /;tag=/, '180 carries a To tag (early dialog)');
    const busy = await peer.wait(isResponse(486, 'INVITE'), 2000, '486');
    const toTag = /;tag=([^;]+)/.exec(busy.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target, ...id, method: 'ACK', toTag, body: '' }), target.port, target.address);
    // Copies already in flight when the ACK went out may still land; after a 200 ms grace none may:
    // an ignored ACK means a copy every T2 (40 ms here, 4 s on an external engine's defaults … so
    // there the first retransmission after the grace is at ≥ 0.5 s: the window is 1.5 s).
    const ackedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const after = peer.received.filter((r) => isResponse(486)(r) && r.at > ackedAt + 200).length;
    t.equal(after, 0, 'no 486 retransmitted after the ACK');
    await assertEngineIdle(t, engine, 1000, 'after the 486 and its ACK');
  } finally {
    peer.close();
  }
});

/** An answered call from the raw peer; returns what in-dialog requests need. */
async function establish(peer: RawSipPeer, onDialog: (d: Srf.Dialog) => void): Promise<{ id: ReturnType<typeof ids>; toTag: string }> {
  handler = (req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).then(onDialog, () => undefined);
  };
  const id = ids('d');
  peer.send(request({ peerPort: peer.port, target, ...id }), target.port, target.address);
  const ok = await peer.wait(isResponse(200, 'INVITE'), 2000, '200 OK');
  const toTag = /;tag=([^;]+)/.exec(ok.message.headers.get('to') ?? '')![1]!;
  peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}a`, method: 'ACK', toTag, body: '' }), target.port, target.address);
  return { id, toTag };
}

async function hangUp(t: Parameters<typeof assertEngineIdle>[0], peer: RawSipPeer, id: ReturnType<typeof ids>, toTag: string, cseq: number): Promise<void> {
  peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}bye`, method: 'BYE', toTag, cseq, body: '' }), target.port, target.address);
  await peer.wait(isResponse(200, 'BYE'), 2000, '200 to BYE');
  await assertEngineIdle(t, engine, 1000, 'after BYE');
}

t.test('rejected re-INVITE: the ACK for the 488 is absorbed (no retransmissions), the call stays up', async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const { id, toTag } = await establish(peer, (d) => d.on('modify', (_q: Srf.SrfRequest, res: Srf.SrfResponse) => res.send(488)));
    const branch = `${id.branch}re`;
    peer.send(request({ peerPort: peer.port, target, ...id, branch, toTag, cseq: 2 }), target.port, target.address);
    await peer.wait(isResponse(488, 'INVITE'), 2000, '488');
    peer.send(request({ peerPort: peer.port, target, ...id, branch, method: 'ACK', toTag, cseq: 2, body: '' }), target.port, target.address);
    const ackedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    t.equal(peer.received.filter((r) => isResponse(488)(r) && r.at > ackedAt + 200).length, 0, 'no 488 retransmitted after the ACK');
    if (engine.embedded) t.equal(engine.embedded.stats().dialogs, 1, 'the dialog survives a rejected re-INVITE');
    await hangUp(t, peer, id, toTag, 3);
  } finally {
    peer.close();
  }
});

t.test('re-INVITE while the previous one is unanswered → 500 + Retry-After; glare with ours → 491 (RFC 3261 §14.2)', { skip: embeddedOnly('500/491 per RFC 3261 §14.2 as this engine implements it') }, async (t) => {
  const peer = await RawSipPeer.open();
  let dialog: Srf.Dialog | undefined;
  const pending: Srf.SrfResponse[] = [];
  try {
    const { id, toTag } = await establish(peer, (d) => {
      dialog = d;
      d.on('modify', (_q: Srf.SrfRequest, res: Srf.SrfResponse) => void pending.push(res));
    });
    t.ok(await until(() => dialog !== undefined, 1000), 'dialog up');
    peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}r2`, toTag, cseq: 2 }), target.port, target.address);
    t.ok(await until(() => pending.length === 1, 1000), 'first re-INVITE reached the app');
    peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}r3`, toTag, cseq: 3 }), target.port, target.address);
    const overlap = await peer.wait((r) => r.message.kind === 'response' && /^3 INVITE$/.test(r.message.headers.get('cseq') ?? '') && (r.message as { status: number }).status >= 200, 2000, 'answer to the overlapping re-INVITE');
    t.equal((overlap.message as { status: number }).status, 500, 'overlap → 500');
    const ra = Number(overlap.message.headers.get('retry-after'));
    t.ok(Number.isInteger(ra) && ra >= 0 && ra <= 10, `Retry-After between 0 and 10 (${String(overlap.message.headers.get('retry-after'))})`);
    t.equal(pending.length, 1, 'the overlapping re-INVITE never reached the app');
    pending[0]!.send(200, { body: SDP });
    await peer.wait(isResponse(200, 'INVITE'), 2000);
    await peer.wait((r) => isResponse(200)(r) && /^2 INVITE$/.test(r.message.headers.get('cseq') ?? ''), 2000, '200 to re-INVITE 2');
    peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}r2a`, method: 'ACK', toTag, cseq: 2, body: '' }), target.port, target.address);
    await new Promise((r) => setTimeout(r, 50));

    // Glare: the app re-INVITEs the peer, which has not answered when its own re-INVITE arrives.
    const ours = dialog!.modify(SDP).catch(() => 'failed');
    const outbound = await peer.wait(isRequest('INVITE'), 2000, 'our re-INVITE at the peer');
    peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}r4`, toTag, cseq: 4 }), target.port, target.address);
    const glare = await peer.wait((r) => r.message.kind === 'response' && /^4 INVITE$/.test(r.message.headers.get('cseq') ?? '') && (r.message as { status: number }).status >= 200, 2000, 'answer to the crossing re-INVITE');
    t.equal((glare.message as { status: number }).status, 491, 'glare → 491');
    t.equal(pending.length, 1, 'the crossing re-INVITE never reached the app');
    // Answer ours so the dialog ends cleanly.
    const o = outbound.message;
    const ok = [
      'SIP/2.0 200 OK', ...o.headers.getAll('via').map((v) => `Via: ${v}`), `From: ${o.headers.get('from')}`, `To: ${o.headers.get('to')}`,
      `Call-ID: ${o.headers.get('call-id')}`, `CSeq: ${o.headers.get('cseq')}`, `Contact: <sip:peer@127.0.0.1:${peer.port}>`,
      'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(SDP)}`, '', SDP,
    ].join('\r\n');
    peer.send(ok, outbound.from.port, outbound.from.address);
    t.not(await ours, 'failed', 'our re-INVITE completed');
    await hangUp(t, peer, id, toTag, 5);
  } finally {
    peer.close();
  }
});

t.test('srf.proxyRequest: refused at once with an error the app sees; the caller gets 500, not silence', { skip: embeddedOnly('a real drachtio-server proxies instead of refusing') }, async (t) => {
  const peer = await RawSipPeer.open();
  const outcome: string[] = [];
  handler = (req) => {
    srf.proxyRequest(req, ['sip:127.0.0.1:9'], {}, (err: unknown) => void outcome.push(err ? `rejected: ${String(err)}` : 'resolved'));
  };
  try {
    const id = ids('px');
    peer.send(request({ peerPort: peer.port, target, ...id }), target.port, target.address);
    const final = await peer.wait((r) => r.message.kind === 'response' && (r.message as { status: number }).status >= 200, 2000, 'a final response');
    t.equal((final.message as { status: number }).status, 500);
    t.ok(await until(() => outcome.length === 1, 1000), 'the proxy promise settled');
    t.match(outcome[0] ?? '', /^rejected: proxy is not supported/);
    const toTag = /;tag=([^;]+)/.exec(final.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target, ...id, method: 'ACK', toTag, body: '' }), target.port, target.address);
  } finally {
    peer.close();
  }
});

t.test('the app\'s bare Contact in a 200 is sent in angle brackets', async (t) => {
  const peer = await RawSipPeer.open();
  handler = (req, res) => {
    srf.createUAS(req, res, { localSdp: SDP, headers: { contact: `sip:app@${target.address}:${target.port}` } }).then((d: Srf.Dialog) => d.destroy(), () => undefined);
  };
  try {
    const id = ids('ct');
    peer.send(request({ peerPort: peer.port, target, ...id }), target.port, target.address);
    const ok = await peer.wait(isResponse(200, 'INVITE'), 2000, '200');
    t.match(ok.text, new RegExp(`\\r\\nContact: <sip:app@${target.address.replace(/\./g, '\\.')}:${target.port}>\\r\\n`));
    const toTag = /;tag=([^;]+)/.exec(ok.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target, ...id, branch: `${id.branch}a`, method: 'ACK', toTag, body: '' }), target.port, target.address);
    const bye = await peer.wait(isRequest('BYE'), 2000, 'BYE from the app');
    peer.send([
      'SIP/2.0 200 OK', ...bye.message.headers.getAll('via').map((v) => `Via: ${v}`), `From: ${bye.message.headers.get('from')}`,
      `To: ${bye.message.headers.get('to')}`, `Call-ID: ${bye.message.headers.get('call-id')}`, `CSeq: ${bye.message.headers.get('cseq')}`, 'Content-Length: 0', '', '',
    ].join('\r\n'), bye.from.port);
    await assertEngineIdle(t, engine, 1000, 'after the app hung up', true);
  } finally {
    peer.close();
  }
});
