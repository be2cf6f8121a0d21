/**
 * The allowlist wired through trunkwise itself (src/main.ts): the embedded engine admits the IVR's
 * CIDRs and every carrier's address, refuses everyone else before the app (no metric series, no log
 * line from the call pipeline), follows a configuration reload, and `--foreign drop` answers nothing.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { freePorts, killAll } from '../helpers/sipp';
import { startTrunkwise, carriersYaml, type Trunkwise } from '../helpers/trunkwise-process';

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
