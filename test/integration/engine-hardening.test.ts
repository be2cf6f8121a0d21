/**
 * Issue 9, transport part: no datagram can crash the engine, responses go only where the engine
 * itself determined (RFC 3261 §18.2.2, RFC 3581), requests from sources outside the allowlist are
 * refused in the transport layer before any transaction or application sees them, and per-source
 * message rates are limited — all with real sockets on loopback addresses (127.0.0.x).
 */
import t from 'tap';
import dgram from 'node:dgram';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import Srf from 'drachtio-srf';
import { SipEngine, type EngineOptions } from '../../src/engine';
import { TransportLayer } from '../../src/engine/transport/layer';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';
import { silentLogger } from '../../src/engine/logger';
import { buildResponse } from '../../src/sip/response-builder';
import { parseMessage } from '../../src/sip/parser';
import { connectSrf } from '../../src/app/srf-connect';
import { freePorts } from '../helpers/sipp';
import { until, wait } from '../helpers/wait';

if (process.env.DRACHTIO_HOST) {
  t.comment('skipped: these tests configure the embedded engine (allowlist, limits) and read its counters');
  process.exit(0);
}

/** A UDP peer bound to a chosen loopback address that records every datagram it receives. */
interface Peer {
  address: string;
  port: number;
  got: string[];
  send(text: string, port: number, address?: string): void;
  close(): Promise<void>;
}

async function peer(address: string, port = 0): Promise<Peer> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => void got.push(m.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  return {
    address, port: s.address().port, got,
    send: (text, p, a = '127.0.0.1') => s.send(text, p, a),
    close: () => new Promise((r) => s.close(() => r())),
  };
}

/** srf.request as drachtio-srf really calls back (its type file declares another signature). */
type OptionsRequest = (uri: string, opts: { method: string }, cb: (err: Error | null, req: { on(ev: 'response', fn: (res: { status: number }) => void): void }) => void) => void;
const requestOf = (srf: Srf): OptionsRequest => srf.request.bind(srf) as unknown as OptionsRequest;


let seq = 0;
function request(method: string, viaValue: string, extra: string[] = []): string {
  const id = `${method.toLowerCase()}-${process.pid}-${++seq}`;
  return [
    `${method} sip:probe@127.0.0.1 SIP/2.0`, `Via: ${viaValue}`, 'Max-Forwards: 70', `From: <sip:t@127.0.0.1>;tag=f${seq}`,
    'To: <sip:probe@127.0.0.1>', `Call-ID: ${id}@test`, `CSeq: 1 ${method}`, ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n');
}
const branch = (): string => `z9hG4bK-h${process.pid}-${++seq}`;

interface Started {
  engine: SipEngine;
  sipPort: number;
  wire: { host: string; port: number; secret: string };
}

async function startEngine(extra: Partial<EngineOptions> = {}): Promise<Started> {
  const [sipPort, wirePort] = (await freePorts(2)) as [number, number];
  const engine = new SipEngine({
    sip: [{ protocol: 'udp', address: '127.0.0.1', port: sipPort }],
    wire: { host: '127.0.0.1', port: wirePort, secret: 'hardening' },
    ...extra,
  });
  const a = await engine.start();
  return { engine, sipPort, wire: { host: '127.0.0.1', port: a.wire.port, secret: 'hardening' } };
}

/** An srf app answering OPTIONS 200 (and counting what reaches it). */
async function optionsApp(wire: Started['wire']): Promise<{ srf: Srf; seen: string[]; vias: string[] }> {
  const srf = new Srf();
  const seen: string[] = [];
  const vias: string[] = [];
  srf.use('options', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    seen.push(req.source_address);
    vias.push(req.get('Via'));
    res.send(200);
  });
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    seen.push(req.source_address);
    res.send(486);
  });
  await connectSrf(srf, wire);
  return { srf, seen, vias };
}

t.test('a bad Via port or rport in one datagram does not crash the engine (child process)', async (t) => {
  const [sipPort, adminPort] = (await freePorts(2)) as [number, number];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'engine', 'cli.ts'),
    '--contact', `sip:127.0.0.1:${sipPort};transport=udp`, '--port', String(adminPort), '--secret', 'x', '--loglevel', 'warn'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.teardown(() => void child.kill('SIGKILL'));
  const p = await peer('127.0.0.1');
  t.teardown(() => p.close());
  // Wait until the engine answers (it answers OPTIONS with 503: no application is connected).
  t.ok(await until(() => {
    if (p.got.length === 0) p.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport`), sipPort);
    return p.got.length > 0;
  }, 20_000), 'engine started');
  const bad = [
    `SIP/2.0/UDP 127.0.0.1:0;branch=${branch()}`,
    `SIP/2.0/UDP 127.0.0.1:65536;branch=${branch()}`,
    `SIP/2.0/UDP 127.0.0.1:99999;branch=${branch()}`,
    `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport=0`,
    `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport=65536`,
    `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport=-1`,
    `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport=abc`,
  ];
  await wait(300); // late answers to the start-up probes
  for (const via of bad) {
    for (const method of ['OPTIONS', 'INVITE']) {
      const b = /branch=([^;]+)/.exec(via)![1]!;
      const mine = (): string | undefined => p.got.find((m) => m.includes(b));
      p.send(request(method, via), sipPort);
      const answered = await until(() => mine() !== undefined, 1500);
      t.equal(child.exitCode, null, `engine alive after ${method} with Via "${via}"${child.exitCode !== null ? `: ${stderr}` : ''}`);
      if (child.exitCode !== null) return;
      t.ok(answered && /^SIP\/2\.0 400 /.test(mine()!), `${method} with Via "${via}" → 400 to the real source (got ${JSON.stringify(mine()?.split('\r\n')[0] ?? 'nothing')})`);
    }
  }
  p.got.length = 0;
  p.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${p.port};branch=${branch()};rport`), sipPort);
  t.ok(await until(() => p.got.length > 0, 2000), 'still answering afterwards');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit on SIGTERM');
});

t.test('forged received= / rport= never steer a response (no reflection)', async (t) => {
  const s = await startEngine();
  t.teardown(() => s.engine.stop());
  const app = await optionsApp(s.wire);
  t.teardown(() => app.srf.disconnect());
  const client = await peer('127.0.0.1');
  // Sinks at the places a forged Via points to: another address on the client's port, and a port the
  // client does not own on both addresses.
  const victimSameAddr = await peer('127.0.0.1');
  const victimOtherAddr = await peer('127.0.0.2', victimSameAddr.port);
  const victimClientPort = await peer('127.0.0.2', client.port);
  t.teardown(async () => {
    for (const x of [client, victimSameAddr, victimOtherAddr, victimClientPort]) await x.close();
  });
  const cases: Array<[string, string]> = [
    ['rport=<victim port> (sender wrote a value)', `SIP/2.0/UDP 127.0.0.1:${client.port};branch=${branch()};rport=${victimSameAddr.port}`],
    ['received=127.0.0.2;rport=<victim port>', `SIP/2.0/UDP 127.0.0.1:${client.port};branch=${branch()};received=127.0.0.2;rport=${victimSameAddr.port}`],
    ['received=127.0.0.2 without rport', `SIP/2.0/UDP 127.0.0.1:${client.port};branch=${branch()};received=127.0.0.2`],
    ['received=127.0.0.2 with an empty rport', `SIP/2.0/UDP 127.0.0.1:${client.port};branch=${branch()};received=127.0.0.2;rport`],
  ];
  for (const [name, via] of cases) {
    for (const method of ['OPTIONS', 'INVITE']) {
      client.got.length = 0;
      client.send(request(method, via), s.sipPort);
      t.ok(await until(() => client.got.some((m) => !m.startsWith('SIP/2.0 100')), 3000), `${name}: ${method} answered to the real source`);
    }
  }
  await wait(300);
  t.same([...victimSameAddr.got, ...victimOtherAddr.got, ...victimClientPort.got], [], 'nothing was sent to a forged address or port');
  // What the app saw: the top Via carries the received/rport the engine wrote, not the forged ones.
  app.vias.length = 0;
  client.got.length = 0;
  client.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${client.port};branch=${branch()};received=127.0.0.2;rport=9`), s.sipPort);
  await until(() => client.got.length > 0, 2000);
  const seenVia = app.vias.join(',');
  t.ok(seenVia.includes(`rport=${client.port}`) && seenVia.includes('received=127.0.0.1'), `the app sees the real source in the top Via (${seenVia})`);
  t.notMatch(seenVia, /127\.0\.0\.2|rport=9\b/, 'the forged values are gone');
});

t.test('without rport over UDP: the real source address and the sent-by port (RFC 3261 §18.2.2)', async (t) => {
  const s = await startEngine();
  t.teardown(() => s.engine.stop());
  const app = await optionsApp(s.wire);
  t.teardown(() => app.srf.disconnect());
  const client = await peer('127.0.0.1');
  const sentBy = await peer('127.0.0.1');
  const otherHost = await peer('127.0.0.3', sentBy.port);
  t.teardown(async () => {
    for (const x of [client, sentBy, otherHost]) await x.close();
  });
  // The sent-by host names another address: the edge answers the address the packet came from.
  client.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.3:${sentBy.port};branch=${branch()}`), s.sipPort);
  t.ok(await until(() => sentBy.got.length > 0, 2000), 'response went to the real source address, sent-by port');
  t.same(otherHost.got, [], 'not to the sent-by host');
  t.same(client.got, [], 'not to the source port (no rport)');
});

for (const udpIngress of ['thread', 'inline'] as const) t.test(`foreign sources are refused in the transport layer: 403 (rate-limited) or dropped (UDP ingress ${udpIngress})`, async (t) => {
  const s = await startEngine({ admission: { allow: ['127.0.0.1/32'], foreign: 'reject' }, udpIngress });
  t.teardown(() => s.engine.stop());
  const app = await optionsApp(s.wire);
  t.teardown(() => app.srf.disconnect());
  const friend = await peer('127.0.0.1');
  const foe = await peer('127.0.0.5');
  t.teardown(async () => {
    await friend.close();
    await foe.close();
  });

  foe.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.5:${foe.port};branch=${branch()};rport`), s.sipPort);
  foe.send(request('INVITE', `SIP/2.0/UDP 127.0.0.5:${foe.port};branch=${branch()};rport`), s.sipPort);
  t.ok(await until(() => foe.got.length >= 2, 2000), 'foreign OPTIONS and INVITE answered');
  t.ok(foe.got.every((m) => /^SIP\/2\.0 403 /.test(m)), `both 403 (${foe.got.map((m) => m.split('\r\n')[0]).join(' | ')})`);
  t.ok(foe.got.every((m) => /\r\nTo: [^\r]*;tag=/i.test(m)), 'with a To tag');
  t.same(app.seen, [], 'the application never saw them');
  const st = s.engine.stats();
  t.equal(st.serverTransactions, 0, 'no server transaction was created');
  t.equal(st.transport.refusedForeign, 2, 'counted as refused-foreign');

  // A foreign ACK is never answered.
  foe.got.length = 0;
  foe.send(request('ACK', `SIP/2.0/UDP 127.0.0.5:${foe.port};branch=${branch()};rport`), s.sipPort);
  await wait(300);
  t.same(foe.got, [], 'foreign ACK dropped');

  // The allowed source still reaches the app.
  friend.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${friend.port};branch=${branch()};rport`), s.sipPort);
  t.ok(await until(() => friend.got.some((m) => /^SIP\/2\.0 200 /.test(m)), 2000), 'allowed source answered 200 by the app');

  // 403s are rate-limited per source: a burst of 300 draws far fewer answers.
  foe.got.length = 0;
  for (let i = 0; i < 300; i++) foe.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.5:${foe.port};branch=${branch()};rport`), s.sipPort);
  await wait(800);
  t.ok(foe.got.length > 0 && foe.got.length <= 40, `a 300-request burst drew ${foe.got.length} 403s (≤ 40)`);
  const tr = s.engine.stats().transport;
  t.ok(tr.refusedForeign >= 303 && tr.refusedForeign - tr.foreignAnswered403 >= 250, `all refused, the rest silently (refused ${tr.refusedForeign}, answered ${tr.foreignAnswered403})`);

  // The setter: the app reloads its configuration and the source becomes allowed.
  s.engine.setAllowlist(['127.0.0.1/32', '127.0.0.5']);
  foe.got.length = 0;
  await wait(1100); // let the refill run: the test is about admission, not the bucket
  foe.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.5:${foe.port};branch=${branch()};rport`), s.sipPort);
  t.ok(await until(() => foe.got.some((m) => /^SIP\/2\.0 200 /.test(m)), 2000), 'after setAllowlist the source reaches the app');
  t.same(app.seen.filter((a) => a === '127.0.0.5').length, 1, 'and the app saw exactly that request');
});

t.test('foreign: drop mode answers nothing; responses from foreign sources still reach their transaction', async (t) => {
  const s = await startEngine({ admission: { allow: ['127.0.0.1'], foreign: 'drop' } });
  t.teardown(() => s.engine.stop());
  const app = await optionsApp(s.wire);
  t.teardown(() => app.srf.disconnect());
  const foe = await peer('127.0.0.6');
  t.teardown(() => foe.close());
  for (const m of ['OPTIONS', 'INVITE', 'REGISTER']) foe.send(request(m, `SIP/2.0/UDP 127.0.0.6:${foe.port};branch=${branch()};rport`), s.sipPort);
  foe.send('garbage\r\n\r\n', s.sipPort);
  await wait(500);
  t.same(foe.got, [], 'nothing answered');
  t.same(app.seen, [], 'nothing reached the app');
  t.equal(s.engine.stats().transport.refusedForeign, 4, 'each counted as refused-foreign');
  t.equal(s.engine.stats().transport.malformed, 0, 'refused before parsing');

  // A carrier at a foreign address answers the app's OPTIONS: responses are not refused.
  const carrier = await peer('127.0.0.7');
  t.teardown(() => carrier.close());
  const answered = new Promise<number>((resolve, reject) => {
    requestOf(app.srf)(`sip:carrier@127.0.0.7:${carrier.port}`, { method: 'OPTIONS' }, (err, req) => {
      if (err) return reject(err);
      req.on('response', (res) => resolve(res.status));
    });
  });
  t.ok(await until(() => carrier.got.length > 0, 3000), 'the carrier got the OPTIONS');
  const opt = carrier.got[0]!;
  const hdr = (n: string): string => new RegExp(`^${n}: ?(.*)$`, 'im').exec(opt)?.[1] ?? '';
  carrier.send([
    'SIP/2.0 200 OK', `Via: ${hdr('Via')}`, `From: ${hdr('From')}`, `To: ${hdr('To')};tag=c1`, `Call-ID: ${hdr('Call-ID')}`, `CSeq: ${hdr('CSeq')}`,
    'Content-Length: 0', '', '',
  ].join('\r\n'), s.sipPort);
  t.equal(await answered, 200, 'the 200 from a foreign address reached the app');
  t.ok(await until(() => s.engine.stats().clientTransactions === 0, 7000), 'client transaction ended');
});

t.test('per-source request rate is configurable; excess is dropped and counted', async (t) => {
  const s = await startEngine({ limits: { perSourceRate: 50, perSourceBurst: 50 } });
  t.teardown(() => s.engine.stop());
  const app = await optionsApp(s.wire);
  t.teardown(() => app.srf.disconnect());
  const c = await peer('127.0.0.1');
  t.teardown(() => c.close());
  for (let i = 0; i < 200; i++) c.send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${c.port};branch=${branch()};rport`), s.sipPort);
  await wait(1000);
  const ok = c.got.filter((m) => /^SIP\/2\.0 200 /.test(m)).length;
  t.ok(ok >= 45 && ok <= 110, `200 requests at once from one source: ${ok} answered (burst 50 + refill 50/s)`);
  const st = s.engine.stats().transport;
  t.ok(st.rateLimited >= 90, `dropped ones counted as rate-limited (${st.rateLimited})`);
  t.equal(st.received, 200, 'all were received');
});

t.test('engine stats expose the transport counters', async (t) => {
  const s = await startEngine();
  t.teardown(() => s.engine.stop());
  const tr = s.engine.stats().transport;
  for (const k of ['received', 'sent', 'malformed', 'oversize', 'rateLimited', 'refusedForeign', 'badVia', 'sendErrors'] as const) {
    t.equal(typeof tr[k], 'number', `transport.${k}`);
  }
  for (const k of ['open', 'accepted', 'closedIdle', 'closedCap', 'closedBuffer'] as const) t.equal(typeof tr.tcp[k], 'number', `transport.tcp.${k}`);
});

t.test('the transport layer survives a throwing upper layer, and send() never throws', async (t) => {
  const [port] = (await freePorts(1)) as [number];
  let delivered = 0;
  const layer = new TransportLayer([{ protocol: 'udp', address: '127.0.0.1', port }], { ...DEFAULT_LIMITS }, silentLogger, () => {
    delivered++;
    throw new Error('bug in an upper layer');
  });
  await layer.start();
  t.teardown(() => layer.stop());
  const c = await peer('127.0.0.1');
  t.teardown(() => c.close());
  const text = request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${c.port};branch=${branch()};rport`);
  c.send(text, port);
  c.send(text, port);
  t.ok(await until(() => delivered === 2, 2000), 'both messages were delivered (the first throw did not stop the socket)');
  t.equal(layer.stats.internalErrors, 2, 'each throw counted as an internal error');

  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test request does not parse');
  const res = buildResponse(parsed.message, 200);
  for (const target of [
    { protocol: 'udp' as const, address: '127.0.0.1', port: 0 },
    { protocol: 'udp' as const, address: '127.0.0.1', port: 70000 },
    { protocol: 'udp' as const, address: 'not-an-address', port: 5060 },
    { protocol: 'tcp' as const, address: '127.0.0.1', port: 0 },
  ]) {
    const failures: Error[] = [];
    let inSend = true;
    let calledInside = false;
    t.doesNotThrow(() => layer.send(res, target, (err) => {
      calledInside ||= inSend;
      failures.push(err);
    }), `send to ${target.protocol} ${target.address}:${target.port} does not throw`);
    inSend = false;
    await wait(50);
    t.equal(failures.length, 1, 'onFail called exactly once');
    t.notOk(calledInside, 'and not from inside send()');
  }
});
