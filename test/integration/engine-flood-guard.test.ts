/**
 * A foreign UDP flood is handed to the kernel (src/engine/transport/flood-guard.ts): past
 * limits.foreignFloodRate foreign requests a second, the ingress thread attaches the allowlist as a
 * socket filter, so foreign requests no longer fill the socket's buffer (where they pushed out the
 * allowlisted callers' datagrams: bench/results/flood.md); 1 in foreignFloodSample still reaches the
 * gate; the allowlisted source is served throughout; after the flood (below half the rate for
 * foreignFloodHoldMs) the filter is removed and a foreign request is seen — and answered 403 — again.
 * Real sockets on 127.0.0.x, the embedded engine, a drachtio-srf app.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import Srf from 'drachtio-srf';
import { SipEngine, type EngineOptions } from '../../src/engine';
import { connectSrf } from '../../src/app/srf-connect';
import { unavailable } from '../../src/engine/transport/socket-filter';
import { freePorts } from '../helpers/sipp';
import { until, wait } from '../helpers/wait';

if (process.env.DRACHTIO_HOST) {
  t.comment('skipped: this test configures the embedded engine and reads its counters');
  process.exit(0);
}
const why = unavailable();
if (why) {
  t.comment(`skipped: ${why}`);
  process.exit(0);
}


async function bound(address: string): Promise<{ s: dgram.Socket; got: string[] }> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => void got.push(m.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  return { s, got };
}

let seq = 0;
const options = (from: string, port: number): string => {
  const n = ++seq;
  return [
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK-fg${process.pid}-${n};rport`, 'Max-Forwards: 70',
    `From: <sip:t@${from}>;tag=f${n}`, 'To: <sip:probe@127.0.0.1>', `Call-ID: fg-${process.pid}-${n}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n');
};

/** The embedded engine on a free port with an srf app answering OPTIONS 200 (both stop at the test's end), and its transport counters. */
async function startEngine(t: Test, secret: string, admission: EngineOptions['admission'], limits: EngineOptions['limits']): Promise<{ engine: SipEngine; sipPort: number; tr: () => ReturnType<SipEngine['stats']>['transport'] }> {
  const [sipPort, wirePort] = (await freePorts(2)) as [number, number];
  const engine = new SipEngine({ sip: [{ protocol: 'udp', address: '127.0.0.1', port: sipPort }], wire: { host: '127.0.0.1', port: wirePort, secret }, admission, limits });
  const a = await engine.start();
  t.teardown(() => engine.stop());
  const srf = new Srf();
  srf.use('options', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => res.send(200));
  await connectSrf(srf, { host: '127.0.0.1', port: a.wire.port, secret });
  t.teardown(() => srf.disconnect());
  return { engine, sipPort, tr: () => engine.stats().transport };
}

t.test('a foreign flood is dropped by the kernel while it lasts; the allowlisted source is served; afterwards every foreign request is seen again', async (t) => {
  const { engine, sipPort, tr } = await startEngine(t, 'flood', { allow: ['127.0.0.1/32'], foreign: 'reject' }, { foreignFloodRate: 500, foreignFloodSample: 64, foreignFloodHoldMs: 1500 });
  const friend = await bound('127.0.0.1');
  const foe = await bound('127.0.0.2');
  t.teardown(() => { friend.s.close(); foe.s.close(); });

  // Before: one foreign request is seen and refused with a 403.
  foe.s.send(options('127.0.0.2', foe.s.address().port), sipPort, '127.0.0.1');
  t.ok(await until(() => foe.got.some((m) => m.startsWith('SIP/2.0 403')), 2000), 'a lone foreign request: 403');
  t.equal(tr().refusedForeign, 1, 'counted');
  t.equal(tr().kernelFilterSockets, 0, 'no kernel filter');

  // The flood: 3,000 foreign requests a second for 4 s (bounded), allowlisted OPTIONS alongside.
  const flood = options('127.0.0.2', foe.s.address().port);
  let sent = 0;
  let attachedAt: { sent: number; refused: number } | undefined;
  let friendSent = 0;
  const end = Date.now() + 4000;
  while (Date.now() < end) {
    for (let i = 0; i < 30; i++, sent++) foe.s.send(flood, sipPort, '127.0.0.1');
    if (sent % 300 === 0) { friend.s.send(options('127.0.0.1', friend.s.address().port), sipPort, '127.0.0.1'); friendSent++; }
    if (!attachedAt && tr().kernelFilterSockets === 1) attachedAt = { sent, refused: tr().refusedForeign };
    await wait(10);
  }
  t.ok(attachedAt, `the kernel filter was attached during the flood (after ${attachedAt?.sent} foreign requests)`);
  if (attachedAt) {
    // Judged as soon as 500 have come (FloodGuard.refused), not at the next once-a-second tick, which
    // let up to 1.3 s of the flood (~3,500 requests here) through the gate first.
    const before = attachedAt.refused - 1;
    t.ok(before <= 1000, `at most twice the rate reached the gate before the filter (${before})`);
    const seen = tr().refusedForeign - attachedAt.refused;
    const after = sent - attachedAt.sent;
    t.ok(after > 3000 && seen < after / 8, `after it: ${seen} of ${after} foreign requests reached the gate (1 in 64 expected)`);
  }
  t.ok(await until(() => friend.got.filter((m) => m.startsWith('SIP/2.0 200')).length === friendSent, 2000), `all ${friendSent} allowlisted OPTIONS answered 200`);

  // After: the filter goes once the sampled rate stays low for the hold time; a foreign request is seen again.
  t.ok(await until(() => tr().kernelFilterSockets === 0, 5000), 'filter removed after the flood');
  const before = tr().refusedForeign;
  const got403 = foe.got.filter((m) => m.startsWith('SIP/2.0 403')).length;
  await wait(1100); // the per-source 403 bucket refills
  foe.s.send(options('127.0.0.2', foe.s.address().port), sipPort, '127.0.0.1');
  t.ok(await until(() => tr().refusedForeign === before + 1, 2000), 'the next foreign request reached the gate');
  t.ok(await until(() => foe.got.filter((m) => m.startsWith('SIP/2.0 403')).length > got403, 2000), 'and was answered 403');
  t.ok(engine.stats().serverTransactions <= friendSent, `transactions only for the ${friendSent} allowlisted requests (${engine.stats().serverTransactions})`);
});

t.test('an allowlist change while the kernel filters takes effect in the kernel at once', async (t) => {
  const { engine, sipPort, tr } = await startEngine(t, 'flood2', { allow: ['127.0.0.1/32'], foreign: 'drop' }, { foreignFloodRate: 500, foreignFloodSample: 64, foreignFloodHoldMs: 60_000 });
  const foe = await bound('127.0.0.3');
  const partner = await bound('127.0.0.4');
  t.teardown(() => { foe.s.close(); partner.s.close(); });

  const flood = options('127.0.0.3', foe.s.address().port);
  for (let end = Date.now() + 3000; Date.now() < end && tr().kernelFilterSockets === 0;) {
    for (let i = 0; i < 30; i++) foe.s.send(flood, sipPort, '127.0.0.1');
    await wait(10);
  }
  t.equal(tr().kernelFilterSockets, 1, 'filtering');
  // A new partner, foreign until now (drop mode: never answered). Once allowed, every request of it
  // must pass the kernel: with the old program only 1 in 64 would.
  for (let i = 0; i < 5; i++) partner.s.send(options('127.0.0.4', partner.s.address().port), sipPort, '127.0.0.1');
  await wait(300);
  t.ok(partner.got.length <= 1, `before the change: ${partner.got.length} of 5 answered (foreign, drop mode)`);
  engine.setAllowlist(['127.0.0.1/32', '127.0.0.4/32']);
  await wait(200);
  for (let i = 0; i < 5; i++) partner.s.send(options('127.0.0.4', partner.s.address().port), sipPort, '127.0.0.1');
  t.ok(await until(() => partner.got.filter((m) => m.startsWith('SIP/2.0 200')).length >= 5, 2000), 'after it: all 5 answered 200');
  t.equal(tr().kernelFilterSockets, 1, 'still filtering the flood');
  engine.setAllowlist(undefined);
  await wait(200);
  t.equal(tr().kernelFilterSockets, 0, 'every source admitted: the filter is removed');
});
