/**
 * The engine's UAC side (the carrier leg) against a scripted carrier on real UDP and an unchanged
 * drachtio-srf app: a carrier that rings then goes silent (RFC 3261 §9.1 64·T1 after CANCEL, timer C),
 * the CANCEL held until the first provisional, ring then reject, what the app is told when srf ACKs
 * a non-2xx, header normalisation (Contact in angle brackets) and Max-Forwards. Short T1 (10 ms).
 */
import t from 'tap';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { startEngineUnderTest, embeddedOnly, waitForEngineIdle, assertEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { RawSipPeer, isRequest, response, SDP, type Received } from '../apps/raw-sip-peer';
import { WireTestClient } from '../apps/wire-client';

const T1 = 10;
const TIMER_C = 1500;
const shortTimers = embeddedOnly('short RFC timers (T1 = 10 ms, timer C = 1.5 s) are an engine setting');

let engine: EngineUnderTest;
let srf: Srf;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

t.before(async () => {
  process.on('unhandledRejection', onUnhandled);
  engine = await startEngineUnderTest({ timers: { T1, T2: 4 * T1, T4: 5 * T1, C: TIMER_C } });
  srf = new Srf();
  await connectSrf(srf, engine.wire);
});

t.teardown(async () => {
  process.off('unhandledRejection', onUnhandled);
  srf.disconnect();
  await engine.stop();
});

interface Outcome { status: number | 'connected' | 'error'; at: number; message?: string }

/** srf.createUAC to the peer; cbRequest is (err, req) in srf's real code (its type file says (req)). */
function call(peer: RawSipPeer, opts: { headers?: Record<string, string>; cancelAt?: 'request' | 'provisional' } = {}): Promise<Outcome> {
  return srf.createUAC(`sip:carrier@127.0.0.1:${peer.port}`, { localSdp: SDP, headers: opts.headers ?? {} } as Srf.CreateUACOptions, {
    cbRequest: (_err: unknown, req?: Srf.SrfRequest) => {
      if (opts.cancelAt === 'request') req?.cancel(() => undefined);
      if (opts.cancelAt === 'provisional') pendingCancel = req;
    },
    cbProvisional: () => {
      if (opts.cancelAt === 'provisional') pendingCancel?.cancel(() => undefined);
    },
  }).then(
    (d: Srf.Dialog) => {
      d.destroy();
      return { status: 'connected' as const, at: Date.now() };
    },
    (err: { status?: number; message?: string }) => ({ status: err.status ?? 'error', at: Date.now(), message: err.message }),
  );
}
let pendingCancel: Srf.SrfRequest | undefined;

const toTagOf = (r: Received): string => /;tag=([^;>\s]+)/.exec(r.message.headers.get('to') ?? '')?.[1] ?? '';
/**
 * No dialog may outlive its INVITE. Transactions are checked once at the end of the file: a client
 * INVITE transaction that saw a non-2xx stays Completed for timer D (≥ 32 s over UDP, RFC 3261
 * Table 4, independent of T1), so every test's transactions are asserted gone after that window.
 */
const idle = (t: Parameters<typeof assertEngineIdle>[0], withinMs: number, what: string): Promise<void> => assertEngineIdle(t, engine, withinMs, what, true);

t.test('carrier rings then goes silent, app cancels: 408 to the app 64·T1 after the CANCEL (RFC 3261 §9.1)', { skip: shortTimers }, async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const outcome = call(peer, { cancelAt: 'provisional' });
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    peer.send(response(inv.message, 180, 'Ringing', { toTag: 'silent1', contactPort: peer.port }), inv.from.port);
    const cancel = await peer.wait(isRequest('CANCEL'), 2000, 'CANCEL');
    // The carrier now says nothing at all: no 200 to the CANCEL, no 487.
    const o = await Promise.race([outcome, new Promise<Outcome>((r) => setTimeout(() => r({ status: 'error', at: Date.now(), message: 'createUAC never settled' }), 3000))]);
    t.equal(o.status, 408, `createUAC settled with 408 (${o.message ?? ''})`);
    t.ok(o.at - cancel.at >= 64 * T1 - 5 && o.at - cancel.at < 64 * T1 + 2500, `about 64·T1 after the CANCEL (${o.at - cancel.at} ms)`);
    await idle(t, 64 * T1 + 500, 'after the give-up');
  } finally {
    peer.close();
  }
});

t.test('carrier rings then goes silent, app does nothing: timer C cancels, then 408', { skip: shortTimers }, async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const outcome = call(peer);
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    peer.send(response(inv.message, 180, 'Ringing', { toTag: 'silent2', contactPort: peer.port }), inv.from.port);
    const ringAt = Date.now();
    const cancel = await peer.wait(isRequest('CANCEL'), TIMER_C + 2000, 'CANCEL from timer C');
    t.ok(cancel.at - ringAt >= TIMER_C - 50, `CANCEL sent when timer C (${TIMER_C} ms) expired (${cancel.at - ringAt} ms)`);
    t.match(cancel.message.headers.get('cseq') ?? '', /^\d+ CANCEL$/);
    const o = await Promise.race([outcome, new Promise<Outcome>((r) => setTimeout(() => r({ status: 'error', at: Date.now(), message: 'never settled' }), 3000))]);
    t.equal(o.status, 408, 'createUAC settled with 408');
    await idle(t, 64 * T1 + 500, 'after timer C');
  } finally {
    peer.close();
  }
});

t.test('a CANCEL asked for before any provisional is held until the first one, then reaches the carrier', async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const outcome = call(peer, { cancelAt: 'request' });
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    await new Promise((r) => setTimeout(r, 200));
    t.equal(peer.count(isRequest('CANCEL')), 0, 'no CANCEL before a provisional (RFC 3261 §9.1)');
    peer.send(response(inv.message, 100, 'Trying'), inv.from.port);
    const cancel = await peer.wait(isRequest('CANCEL'), 2000, 'CANCEL');
    t.equal(cancel.message.headers.getAll('via')[0], inv.message.headers.getAll('via')[0], 'same branch as the INVITE');
    peer.send(response(cancel.message, 200, 'OK', { toTag: 'c1' }), cancel.from.port);
    peer.send(response(inv.message, 487, 'Request Terminated', { toTag: 'c1' }), inv.from.port);
    t.equal((await outcome).status, 487, 'the app sees the 487');
    await peer.wait(isRequest('ACK'), 2000, 'ACK for the 487');
    await idle(t, 1000, 'after the 487');
  } finally {
    peer.close();
  }
});

t.test('carrier rings (tagged 180) then rejects: 486 to the app, early dialog gone', async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const outcome = call(peer);
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    peer.send(response(inv.message, 180, 'Ringing', { toTag: 'rr1', contactPort: peer.port }), inv.from.port);
    await new Promise((r) => setTimeout(r, 50));
    peer.send(response(inv.message, 486, 'Busy Here', { toTag: 'rr1' }), inv.from.port);
    t.equal((await outcome).status, 486);
    const ack = await peer.wait(isRequest('ACK'), 2000, 'ACK for the 486');
    t.equal(toTagOf(ack), 'rr1', 'ACK in the INVITE transaction, with the response To tag');
    await idle(t, 1000, 'after the rejection');
  } finally {
    peer.close();
  }
});

t.test('the app\'s ACK for a non-2xx gets drachtio-server\'s answer', async (t) => {
  const peer = await RawSipPeer.open();
  const wire = await WireTestClient.connect(engine.wire);
  try {
    const invite = `INVITE sip:carrier@127.0.0.1:${peer.port} SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;
    const [ok] = await wire.sip('', '', invite);
    t.equal(ok, 'OK');
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    peer.send(response(inv.message, 486, 'Busy Here', { toTag: 'nack' }), inv.from.port);
    const final = await wire.waitSip((f) => / 486 /.test(f.sip.split('\r\n')[0] ?? ''), 2000);
    t.ok(final.dialogId, 'the 486 reaches the app with the INVITE\'s dialog id');
    const [status, tokens] = await wire.sip('', final.dialogId, 'ACK sip:placeholder SIP/2.0\r\n\r\n');
    t.equal(status, 'NOK');
    t.equal(tokens[1], 'Server error: ACK for non-success final response is automatically generated by server');
    await idle(t, 1000, 'after the refused ACK');
  } finally {
    wire.close();
    peer.close();
  }
});

t.test('headers as drachtio-server sends them: bare Contact gets <>, custom names capitalised, X- kept', async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const outcome = call(peer, { headers: { contact: 'sip:ivr@127.0.0.1:5999', 'my-header': 'v1', 'x-lower-case': 'v2', 'call-info': '<http://x>' } });
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    const names = inv.text.split('\r\n').map((l) => l.split(':')[0]);
    t.match(inv.text, /\r\nContact: <sip:ivr@127\.0\.0\.1:5999>\r\n/, 'Contact: <sip:ivr@127.0.0.1:5999>');
    t.ok(names.includes('My-Header'), 'my-header → My-Header');
    t.ok(names.includes('x-lower-case'), 'X- header kept as written');
    t.ok(names.includes('Call-Info'), 'well-known header canonical');
    peer.send(response(inv.message, 480, 'Temporarily Unavailable', { toTag: 'h1' }), inv.from.port);
    await outcome;
    await idle(t, 1000, 'after the call');
  } finally {
    peer.close();
  }
});

t.test('Max-Forwards: the app\'s value is used; a negative or garbage one is refused, nothing sent', { skip: embeddedOnly('refusing a Max-Forwards outside 0-255 is this engine\'s policy') }, async (t) => {
  const peer = await RawSipPeer.open();
  try {
    const ok = call(peer, { headers: { 'Max-Forwards': '12' } });
    const inv = await peer.wait(isRequest('INVITE'), 2000, 'INVITE');
    t.equal(inv.message.headers.get('max-forwards'), '12');
    peer.send(response(inv.message, 480, 'Temporarily Unavailable', { toTag: 'mf' }), inv.from.port);
    await ok;
    for (const bad of ['-1', 'abc', '256']) {
      const before = peer.count(isRequest('INVITE'));
      const o = await call(peer, { headers: { 'Max-Forwards': bad } });
      t.equal(o.status, 'error', `Max-Forwards ${bad}: createUAC fails at once (${o.message ?? ''})`);
      await new Promise((r) => setTimeout(r, 100));
      t.equal(peer.count(isRequest('INVITE')), before, `Max-Forwards ${bad}: nothing sent`);
    }
    await idle(t, 1000, 'after the refusals');
    t.same(unhandled.map(String), [], 'no unhandled promise rejection in the whole file');
  } finally {
    peer.close();
  }
});

t.test('every transaction of the tests above has ended within timer D (32 s) of its final response', { skip: embeddedOnly('reads the engine\'s transaction counters') }, async (t) => {
  const counts = await waitForEngineIdle(engine.embedded!, 34_000);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 });
});
