/**
 * Issue 9/10, TCP part: a write error on a TCP connection reaches the client transaction at once
 * (503 → crankback, not a 32 s timeout); a response whose connection is gone goes to the sent-by port
 * (RFC 3261 §18.2.2); idle and slowloris connections are closed by the deadline, incomplete messages
 * are bounded, connections are capped per source and globally — and calls go on meanwhile.
 */
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { SipEngine, type EngineOptions } from '../../src/engine';
import { connectSrf } from '../../src/app/srf-connect';
import { startMinimalB2bua } from '../apps/minimal-b2bua';
import { freePorts, killAll, runSipp, startSippServer } from '../helpers/sipp';
import { until, wait } from '../helpers/wait';

if (process.env.DRACHTIO_HOST) {
  t.comment('skipped: these tests configure the embedded engine (TCP limits) and read its counters');
  process.exit(0);
}

t.teardown(killAll);

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
/** srf.request as drachtio-srf really calls back (its type file declares another signature). */
type OptionsRequest = (uri: string, opts: { method: string }, cb: (err: Error | null, req: { on(ev: 'response', fn: (res: { status: number }) => void): void }) => void) => void;
const requestOf = (srf: Srf): OptionsRequest => srf.request.bind(srf) as unknown as OptionsRequest;


interface Started {
  engine: SipEngine;
  sipPort: number;
  wire: { host: string; port: number; secret: string };
}

async function startEngine(extra: Partial<EngineOptions> = {}): Promise<Started> {
  const [sipPort, wirePort] = (await freePorts(2)) as [number, number];
  const engine = new SipEngine({
    sip: [{ protocol: 'udp', address: '127.0.0.1', port: sipPort }, { protocol: 'tcp', address: '127.0.0.1', port: sipPort }],
    wire: { host: '127.0.0.1', port: wirePort, secret: 'tcp-hardening' },
    ...extra,
  });
  const a = await engine.start();
  return { engine, sipPort, wire: { host: '127.0.0.1', port: a.wire.port, secret: 'tcp-hardening' } };
}

const header = (msg: string, name: string): string => new RegExp(`^${name}: ?(.*)$`, 'im').exec(msg)?.[1] ?? '';

/** A TCP "carrier": answers OPTIONS 200; resets the connection (RST) when it receives an INVITE. */
async function resettingCarrier(): Promise<{ port: number; invites: number; close(): Promise<void> }> {
  const state = { invites: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (/^INVITE /m.test(buf)) {
        state.invites++;
        sock.resetAndDestroy();
        return;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1 || !buf.startsWith('OPTIONS ')) return;
      const req = buf.slice(0, end);
      buf = buf.slice(end + 4);
      sock.write([
        'SIP/2.0 200 OK', ...req.split('\r\n').filter((l) => /^Via:/i.test(l)), `From: ${header(req, 'From')}`, `To: ${header(req, 'To')};tag=tc`,
        `Call-ID: ${header(req, 'Call-ID')}`, `CSeq: ${header(req, 'CSeq')}`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get invites() {
      return state.invites;
    },
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** createUAC's outcome and how long it took. */
async function invite(srf: Srf, uri: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  try {
    const uac = await srf.createUAC(uri, { localSdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n' });
    uac.destroy();
    return { status: 200, ms: Date.now() - started };
  } catch (err) {
    return { status: (err as { status?: number }).status ?? 0, ms: Date.now() - started };
  }
}

t.test('INVITE over TCP to a carrier that resets the connection: 503 at once, not after timer B', async (t) => {
  const s = await startEngine();
  t.teardown(() => s.engine.stop());
  const srf = new Srf();
  await connectSrf(srf, s.wire);
  t.teardown(() => srf.disconnect());
  const carrier = await resettingCarrier();
  t.teardown(() => carrier.close());

  // (a) the first write on a fresh connection: it connects, then the INVITE draws an RST.
  const fresh = await Promise.race([invite(srf, `sip:a@127.0.0.1:${carrier.port};transport=tcp`), wait(5000).then(() => ({ status: -1, ms: 5000 }))]);
  t.equal(fresh.status, 503, `fresh connection: 503 (got ${fresh.status} after ${fresh.ms} ms)`);
  t.ok(fresh.ms < 2000, `within 2 s (${fresh.ms} ms)`);

  // (b) a connection already open and in use (an OPTIONS answered on it), then the INVITE draws an RST.
  const opt = await new Promise<number>((resolve, reject) => {
    requestOf(srf)(`sip:ping@127.0.0.1:${carrier.port};transport=tcp`, { method: 'OPTIONS' }, (err, req) => {
      if (err) return reject(err);
      req.on('response', (res) => resolve(res.status));
    });
  });
  t.equal(opt, 200, 'OPTIONS answered over the open connection');
  const open = await Promise.race([invite(srf, `sip:b@127.0.0.1:${carrier.port};transport=tcp`), wait(5000).then(() => ({ status: -1, ms: 5000 }))]);
  t.equal(open.status, 503, `open connection: 503 (got ${open.status} after ${open.ms} ms)`);
  t.ok(open.ms < 2000, `within 2 s (${open.ms} ms)`);
  t.equal(carrier.invites, 2, 'both INVITEs reached the carrier');
  t.ok(await until(() => s.engine.stats().clientTransactions === 0 && s.engine.stats().dialogs === 0, 3000), 'no transaction or dialog left');
  t.ok(s.engine.stats().transport.sendErrors >= 2, 'send errors counted');
});

t.test('a response whose TCP connection is gone goes to the Via sent-by port on a new connection', async (t) => {
  const s = await startEngine();
  t.teardown(() => s.engine.stop());
  const srf = new Srf();
  srf.use('options', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => void setTimeout(() => res.send(200), 400));
  await connectSrf(srf, s.wire);
  t.teardown(() => srf.disconnect());
  // The client's listening port (its Via sent-by) and what arrives there.
  const arrived: string[] = [];
  const inbound: net.Socket[] = [];
  const listener = net.createServer((sock) => {
    inbound.push(sock);
    sock.on('data', (d) => void arrived.push(d.toString('latin1'))).on('error', () => undefined);
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => {
    for (const x of inbound) x.destroy();
    listener.close(() => r());
  }));
  const sentByPort = (listener.address() as net.AddressInfo).port;
  const c = net.connect(s.sipPort, '127.0.0.1');
  c.on('error', () => undefined);
  await new Promise<void>((r) => c.once('connect', () => r()));
  c.end([
    `OPTIONS sip:x@127.0.0.1:${s.sipPort};transport=tcp SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${sentByPort};branch=z9hG4bK-gone-${process.pid}`,
    'Max-Forwards: 70', 'From: <sip:c@127.0.0.1>;tag=g1', 'To: <sip:x@127.0.0.1>', `Call-ID: gone-${process.pid}@t`, 'CSeq: 1 OPTIONS',
    'Content-Length: 0', '', '',
  ].join('\r\n'));
  t.ok(await until(() => arrived.some((m) => m.startsWith('SIP/2.0 200 ')), 4000), `the 200 arrived at the sent-by port (${arrived.length} messages)`);
  t.ok(await until(() => s.engine.stats().serverTransactions === 0, 3000), 'server transaction ended');
});

/** Open `n` TCP connections to the engine from local address `from`; resolves when all are connected. */
async function openMany(n: number, port: number, from: string): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    s.on('error', () => undefined);
    s.once('connect', () => resolve());
    s.once('close', () => resolve());
    out.push(s);
  })));
  return out;
}

const isClosed = (s: net.Socket): boolean => s.destroyed || s.readyState === 'closed' || s.readyState === 'readOnly';

t.test('2,000 idle and 20 slowloris TCP connections are closed by the idle deadline while calls go on', async (t) => {
  const IDLE_MS = 4000;
  const s = await startEngine({ limits: { tcpIdleTimeoutMs: IDLE_MS } });
  t.teardown(() => s.engine.stop());
  const [uasPort] = (await freePorts(1)) as [number];
  const uas = await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: uasPort, transport: 'u1', timeoutMs: 120_000 });
  t.teardown(() => uas.stop());
  const app = await startMinimalB2bua({ ...s.wire, target: `sip:127.0.0.1:${uasPort};transport=udp` });
  t.teardown(() => app.stop());

  const started = Date.now();
  const idle: net.Socket[] = [];
  for (let a = 0; a < 100; a++) idle.push(...await openMany(20, s.sipPort, `127.0.1.${a + 1}`));
  const slow = await openMany(20, s.sipPort, '127.0.2.1');
  const opened = Date.now();
  t.equal(idle.filter((x) => !isClosed(x)).length + slow.filter((x) => !isClosed(x)).length, 2020, 'all 2,020 connections accepted');
  t.ok(await until(() => s.engine.stats().transport.tcp.open >= 2020, 3000), `engine counts them open (${s.engine.stats().transport.tcp.open})`);
  // Slowloris: the start of a request, then one byte every 250 ms — never a complete message.
  for (const x of slow) x.write('INVITE sip:slow@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.2.1:5060;branch=z9hG4bK-slow\r\n');
  const drip = setInterval(() => {
    for (const x of slow) if (!isClosed(x)) x.write('X');
  }, 250);
  t.teardown(() => clearInterval(drip));

  // Calls go on meanwhile (UDP caller through the B2BUA).
  const calls = runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${s.sipPort}`, calls: 100, rate: 20, duration: 100, timeoutMs: 60_000 });
  // Deadline: the idle timeout from the last connection opened, plus one sweep interval and slack.
  const deadline = opened - started + IDLE_MS + 1000 + 1500;
  const allClosed = await until(() => idle.every(isClosed) && slow.every(isClosed), deadline - (Date.now() - started));
  t.ok(allClosed, `all closed within ${deadline} ms of the first connection (idle open: ${idle.filter((x) => !isClosed(x)).length}, slowloris open: ${slow.filter((x) => !isClosed(x)).length})`);
  clearInterval(drip);
  const r = await calls;
  t.equal(r.failed, 0, 'no call failed meanwhile');
  t.equal(r.successful, 100, '100 calls completed meanwhile');
  t.ok(await until(() => s.engine.stats().transport.tcp.open === 0, 3000), `connection count back to 0 (${s.engine.stats().transport.tcp.open})`);
  t.ok(s.engine.stats().transport.tcp.closedIdle >= 2020, `counted as closed-idle (${s.engine.stats().transport.tcp.closedIdle})`);
  for (const x of [...idle, ...slow]) x.destroy();
});

t.test('connection caps per source and in total; incomplete messages are bounded', async (t) => {
  const s = await startEngine({ limits: { tcpMaxConnectionsPerSource: 30, maxTcpConnections: 50, tcpMaxPendingBytes: 4096 } });
  t.teardown(() => s.engine.stop());

  const one = await openMany(40, s.sipPort, '127.0.3.1');
  t.ok(await until(() => one.filter(isClosed).length === 10, 2000), `one source: 30 kept, 10 closed (${one.filter(isClosed).length} closed)`);
  const other = await openMany(30, s.sipPort, '127.0.3.2');
  t.ok(await until(() => other.filter(isClosed).length === 10, 2000), `global cap 50: 20 more kept, 10 closed (${other.filter(isClosed).length} closed)`);
  t.equal(s.engine.stats().transport.tcp.closedCap, 20, 'counted as closed-cap');
  t.equal(s.engine.stats().transport.tcp.open, 50, '50 open');
  for (const x of [...one, ...other]) x.destroy();
  t.ok(await until(() => s.engine.stats().transport.tcp.open === 0, 2000), 'back to 0 when the peers close');

  // A header block that never ends: closed once 4 KiB are buffered.
  const [big] = await openMany(1, s.sipPort, '127.0.3.3');
  big!.write(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX-Pad: ${'a'.repeat(5000)}`);
  t.ok(await until(() => isClosed(big!), 2000), 'connection with > 4 KiB of an incomplete message closed');
  t.equal(s.engine.stats().transport.tcp.closedBuffer, 1, 'counted as closed-buffer');
  big!.destroy();
});

t.test('foreign TCP peers: dropped at accept in drop mode, tight cap in reject mode', async (t) => {
  const drop = await startEngine({ admission: { allow: ['127.0.0.1'], foreign: 'drop' } });
  t.teardown(() => drop.engine.stop());
  const [c] = await openMany(1, drop.sipPort, '127.0.4.1');
  t.ok(await until(() => isClosed(c!), 1000), 'foreign connection closed at once');
  t.equal(drop.engine.stats().transport.tcp.closedForeign, 1, 'counted');
  c!.destroy();

  const rej = await startEngine({ admission: { allow: ['127.0.0.1'], foreign: 'reject' } });
  t.teardown(() => rej.engine.stop());
  const many = await openMany(20, rej.sipPort, '127.0.4.2');
  await wait(300);
  const kept = many.filter((x) => !isClosed(x));
  t.ok(kept.length > 0 && kept.length <= 8, `a foreign source keeps at most a few connections (${kept.length})`);
  // On a kept connection a request is answered 403 statelessly.
  const got: string[] = [];
  kept[0]!.on('data', (d) => void got.push(d.toString('latin1')));
  kept[0]!.write([
    `OPTIONS sip:x@127.0.0.1 SIP/2.0`, 'Via: SIP/2.0/TCP 127.0.4.2:5060;branch=z9hG4bK-f403', 'Max-Forwards: 70', 'From: <sip:f@x>;tag=1',
    'To: <sip:x@127.0.0.1>', 'Call-ID: f403@t', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  t.ok(await until(() => got.some((m) => m.startsWith('SIP/2.0 403 ')), 2000), 'foreign request over TCP answered 403');
  t.equal(rej.engine.stats().serverTransactions, 0, 'without a transaction');
  for (const x of many) x.destroy();
});
