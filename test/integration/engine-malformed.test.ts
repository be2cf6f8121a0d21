/**
 * Bad input never takes the engine down: each malformed message is answered 400 where a response is
 * possible, or dropped; oversize messages are refused; afterwards the engine still carries calls.
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runSipp, startSippServer, freePorts, killAll } from '../helpers/sipp';
import { startEngineUnderTest, parseHostports, type EngineUnderTest } from '../helpers/engine-under-test';
import { startMinimalB2bua } from '../apps/minimal-b2bua';
import { connectSrf } from '../../src/app/srf-connect';
import Srf from 'drachtio-srf';

let engine: EngineUnderTest;
let udpAddr: { address: string; port: number };
let tcpAddr: { address: string; port: number };
let client: dgram.Socket;
let clientPort: number;

t.before(async () => {
  engine = await startEngineUnderTest();
  const probe = new Srf();
  const hp = parseHostports(await connectSrf(probe, engine.wire));
  probe.disconnect();
  udpAddr = hp.udp!;
  tcpAddr = hp.tcp!;
  client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  clientPort = client.address().port;
});

t.teardown(async () => {
  client.close();
  killAll();
  await engine.stop();
});

/** Send one datagram and collect whatever comes back within `ms`. */
function exchange(data: Buffer | string, ms = 700): Promise<string[]> {
  return new Promise((resolve) => {
    const got: string[] = [];
    const on = (m: Buffer): void => void got.push(m.toString('utf8'));
    client.on('message', on);
    client.send(typeof data === 'string' ? Buffer.from(data) : data, udpAddr.port, udpAddr.address);
    setTimeout(() => {
      client.off('message', on);
      resolve(got);
    }, ms);
  });
}

const via = (b: string): string => `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-${b};rport`;
const base = (b: string, extra: string[], omit: string[] = []): string => {
  const lines = [
    `OPTIONS sip:probe@127.0.0.1 SIP/2.0`, via(b), 'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=f1', 'To: <sip:probe@127.0.0.1>',
    `Call-ID: ${b}@test`, 'CSeq: 1 OPTIONS', ...extra,
  ].filter((l) => !omit.some((o) => l.toLowerCase().startsWith(o)));
  return lines.join('\r\n') + '\r\n\r\n';
};

t.test('missing Call-ID → 400', async (t) => {
  const r = await exchange(base('nocallid', ['Content-Length: 0'], ['call-id']));
  t.match(r[0] ?? '', /^SIP\/2\.0 400 /);
});

t.test('missing CSeq → 400', async (t) => {
  const r = await exchange(base('nocseq', ['Content-Length: 0'], ['cseq']));
  t.match(r[0] ?? '', /^SIP\/2\.0 400 /);
});

t.test('Content-Length larger than the datagram → 400', async (t) => {
  const r = await exchange(base('badcl', ['Content-Length: 500']) + 'short');
  t.match(r[0] ?? '', /^SIP\/2\.0 400 /);
});

t.test('non-numeric Content-Length → 400', async (t) => {
  const r = await exchange(base('nancl', ['Content-Length: abc']));
  t.match(r[0] ?? '', /^SIP\/2\.0 400 /);
});

t.test('missing Via → dropped (nowhere to answer)', async (t) => {
  const r = await exchange(base('novia', ['Content-Length: 0'], ['via']));
  t.same(r, []);
});

t.test('truncated message → answered 400 or dropped, never a crash', async (t) => {
  const r = await exchange(`INVITE sip:a@127.0.0.1 SIP/2.0\r\n${via('trunc')}\r\nFrom: <sip:a@x>;tag=1\r\n`);
  t.ok(r.length === 0 || /^SIP\/2\.0 400 /.test(r[0]!), `got ${JSON.stringify(r[0] ?? 'nothing')}`);
});

t.test('binary junk → dropped', async (t) => {
  for (let i = 0; i < 20; i++) t.same(await exchange(randomBytes(100 + i * 37), 50), []);
});

t.test('a 10 MB message over TCP is refused and the connection closed', async (t) => {
  const closed = await new Promise<boolean>((resolve) => {
    const s = net.connect(tcpAddr.port, tcpAddr.address);
    s.on('error', () => undefined);
    s.on('close', () => resolve(true));
    const head = `MESSAGE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-big\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: big@t\r\nCSeq: 1 MESSAGE\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`;
    s.write(head);
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    for (let i = 0; i < 10; i++) s.write(chunk);
    // Bounded: a server that never closes must not leave this socket (and the test process) hanging.
    setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 10_000);
  });
  t.ok(closed, 'engine closed the connection');
});


t.test('stray in-dialog BYE and unmatched CANCEL → 481; stray ACK → dropped', async (t) => {
  const bye = base('straybye', ['Content-Length: 0']).replace('OPTIONS sip:', 'BYE sip:').replace('CSeq: 1 OPTIONS', 'CSeq: 2 BYE')
    .replace('To: <sip:probe@127.0.0.1>', 'To: <sip:probe@127.0.0.1>;tag=nosuchdialog');
  t.match((await exchange(bye))[0] ?? '', /^SIP\/2\.0 481 /);
  const cancel = base('straycancel', ['Content-Length: 0']).replace('OPTIONS sip:', 'CANCEL sip:').replace('CSeq: 1 OPTIONS', 'CSeq: 1 CANCEL');
  t.match((await exchange(cancel))[0] ?? '', /^SIP\/2\.0 481 /);
  const ack = base('strayack', ['Content-Length: 0']).replace('OPTIONS sip:', 'ACK sip:').replace('CSeq: 1 OPTIONS', 'CSeq: 1 ACK');
  t.same(await exchange(ack), []);
});

t.test('after all of that the engine still serves calls', async (t) => {
  const [uasPort] = await freePorts(1);
  const uas = await startSippServer({ scenario: path.join(__dirname, '..', 'scenarios', 'uas-carrier-answer.xml'), localPort: uasPort!, transport: 'u1', timeoutMs: 120_000 });
  const app = await startMinimalB2bua({ ...engine.wire, target: `sip:127.0.0.1:${uasPort};transport=udp` });
  try {
    const r = await runSipp({
      scenario: path.join(__dirname, '..', 'scenarios', 'uac-basic-call.xml'), remote: `${udpAddr.address}:${udpAddr.port}`,
      calls: 20, rate: 20, duration: 100, timeoutMs: 60_000,
    });
    t.equal(r.successful, 20);
    t.equal(r.failed, 0);
  } finally {
    app.stop();
    await uas.stop();
  }
});
