/**
 * The allowlist wired through trunkwise itself (src/main.ts): the embedded engine admits the IVR's
 * CIDRs and every carrier's address, refuses everyone else before the app (no metric series, no log
 * line from the call pipeline), follows a configuration reload, and `--foreign drop` answers nothing.
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { freePorts, killAll, runSipp, startSippServer } from '../helpers/sipp';
import { startTrunkwise, carriersYaml, cdrs, type Trunkwise } from '../helpers/trunkwise-process';

t.teardown(killAll);

const ROUTES = { 'default.yaml': 'routes:\n  - id: default\n    default: true\n    carriers: [{ id: carrier-a }]\n' };
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Send one request from `from` and collect the status lines that come back within `ms`. */
async function ask(from: string, sipPort: number, method: string, ms = 800): Promise<string[]> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  const port = s.address().port;
  const got: string[] = [];
  s.on('message', (m) => void got.push(m.toString('latin1').split('\r\n')[0]!));
  const id = `${method}-${from}-${port}`;
  s.send([
    `${method} sip:15550001@127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK-${id};rport`, 'Max-Forwards: 70',
    `From: <sip:ivr@${from}>;tag=w1`, 'To: <sip:15550001@127.0.0.1>', `Call-ID: ${id}@wiring`, `CSeq: 1 ${method}`,
    `Contact: <sip:ivr@${from}:${port}>`, 'Content-Length: 0', '', '',
  ].join('\r\n'), sipPort, '127.0.0.1');
  await wait(ms);
  s.close();
  return got;
}

async function withTrunkwise(args: string[], fn: (tw: Trunkwise, carrierPort: number) => Promise<void>): Promise<void> {
  const [carrierPort] = (await freePorts(1)) as [number];
  const tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: carrierPort, weight: 1 }], routes: ROUTES, args });
  try {
    await fn(tw, carrierPort);
  } finally {
    await tw.stop();
  }
}

t.test('foreign sources get 403 from the engine; allowed and carrier addresses reach the app; reload updates the list', async (t) => {
  await withTrunkwise(['--allow', '127.0.0.1/32'], async (tw, carrierPort) => {
    t.same(await ask('127.0.0.1', tw.sipPort, 'OPTIONS'), ['SIP/2.0 200 OK'], 'allowed source: the app answers OPTIONS');
    t.same(await ask('127.0.0.9', tw.sipPort, 'OPTIONS'), ['SIP/2.0 403 Forbidden'], 'foreign OPTIONS: 403');
    t.same(await ask('127.0.0.9', tw.sipPort, 'INVITE'), ['SIP/2.0 403 Forbidden'], 'foreign INVITE: 403 without 100 Trying (stateless)');
    const metrics = String((await tw.admin('GET', '/metrics')).body);
    t.notMatch(metrics, /127\.0\.0\.9/, 'no metric series was created for the foreign source');
    t.notOk(tw.logs.some((l) => JSON.stringify(l).includes('127.0.0.9') && l.layer !== 'engine'), 'nothing above the engine logged it');

    // Reload: a carrier moves to 127.0.0.8 — its address becomes admitted.
    t.same(await ask('127.0.0.8', tw.sipPort, 'OPTIONS'), ['SIP/2.0 403 Forbidden'], 'before the reload 127.0.0.8 is foreign');
    writeFileSync(tw.carriersFile, carriersYaml([{ id: 'carrier-a', port: carrierPort, weight: 1 }]).replace('sip:127.0.0.1:', 'sip:127.0.0.8:'));
    t.equal((await tw.admin('POST', '/reload', 'test-token')).status, 200, 'reloaded');
    t.same(await ask('127.0.0.8', tw.sipPort, 'OPTIONS'), ['SIP/2.0 200 OK'], 'after the reload the carrier address reaches the app');
  });
});

t.test('--foreign drop: foreign requests get no answer at all', async (t) => {
  await withTrunkwise(['--allow', '127.0.0.1/32', '--foreign', 'drop'], async (tw) => {
    t.same(await ask('127.0.0.9', tw.sipPort, 'INVITE'), [], 'foreign INVITE: no answer');
    t.same(await ask('127.0.0.9', tw.sipPort, 'OPTIONS'), [], 'foreign OPTIONS: no answer');
    t.same(await ask('127.0.0.1', tw.sipPort, 'OPTIONS'), ['SIP/2.0 200 OK'], 'allowed source still answered');
    const h = (await tw.admin('GET', '/health')).body as { engine: { transport: { refusedForeign: number; foreignAnswered403: number } } };
    t.equal(h.engine.transport.refusedForeign, 2, 'engine counted both as refused-foreign');
    t.equal(h.engine.transport.foreignAnswered403, 0, 'and answered none');
  });
});

t.test('an INVITE to a TCP carrier that resets the connection fails at once and the call goes to the next carrier', async (t) => {
  // carrier-a: TCP, resets every connection on its first bytes; carrier-b: SIPp answering over UDP.
  const resets = { n: 0 };
  const dead = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.once('data', () => {
      resets.n++;
      sock.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => dead.close(() => r())));
  const deadPort = (dead.address() as net.AddressInfo).port;
  const [bPort] = (await freePorts(1)) as [number];
  const uas = await startSippServer({ scenario: path.join(__dirname, '..', 'scenarios', 'uas-carrier-answer.xml'), localPort: bPort, timeoutMs: 120_000 });
  t.teardown(() => uas.stop());
  const routes = { 'default.yaml': [
    'routes:', '  - id: default', '    default: true', '    carriers: [{ id: carrier-a, order: 1 }, { id: carrier-b, order: 2 }]', '    strategy: priority',
    '    maxAttempts: 2', '    timers: { attemptNoProvisionalMs: 10000, attemptNoAnswerMs: 30000, setupDeadlineMs: 20000 }', '',
  ].join('\n') };
  const specs = [{ id: 'carrier-a', port: deadPort, weight: 1 }, { id: 'carrier-b', port: bPort, weight: 1 }];
  const tw = await startTrunkwise({ carriers: specs, routes, args: ['--allow', '127.0.0.1/32'] });
  try {
    writeFileSync(tw.carriersFile, carriersYaml(specs).replace(`sip:127.0.0.1:${deadPort};transport=udp`, `sip:127.0.0.1:${deadPort};transport=tcp`));
    t.equal((await tw.admin('POST', '/reload', 'test-token')).status, 200, 'carrier-a now over TCP');
    const r = await runSipp({ scenario: path.join(__dirname, '..', 'scenarios', 'uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, calls: 5, rate: 5, duration: 100, timeoutMs: 30_000 });
    t.equal(r.successful, 5, 'all calls completed on carrier-b');
    await wait(300);
    const records = cdrs(tw.logs);
    t.equal(records.length, 5, 'five CDRs');
    // Health may take carrier-a out of rotation after a few failures; every attempt it did get failed at once.
    const onA = records.flatMap((c) => c.attempts.filter((a) => a.carrier === 'carrier-a'));
    t.ok(onA.length >= 1 && records[0]!.attempts[0]?.carrier === 'carrier-a', `carrier-a was tried first (${onA.length} attempts)`);
    t.ok(resets.n >= onA.length, `carrier-a reset ${resets.n} connections`);
    for (const a of onA) t.ok(a.outcome === 'transport-error' && (a.finalMs ?? Infinity) < 1000, `carrier-a attempt: ${a.outcome} after ${a.finalMs} ms (transport error, at once)`);
    for (const c of records) {
      t.equal(c.attempts[c.attempts.length - 1]?.carrier, 'carrier-b', 'answered on carrier-b');
      t.ok((c.setupMs ?? Infinity) < 2000, `call set up in ${c.setupMs} ms (not after timer B)`);
    }
  } finally {
    await tw.stop();
  }
});
