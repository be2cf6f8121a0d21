/**
 * Issue 11: in embedded mode drachtio-srf talks to the engine over an in-process link
 * (src/engine/wire/local-link.ts) instead of loopback TCP. The link must carry exactly drachtio's
 * wire protocol (the same frames as the TCP listener answers), carry real calls through an unchanged
 * srf B2BUA, and close cleanly both ways leaving no application, transaction or dialog behind.
 */
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { SipEngine } from '../../src/engine';
import { startMinimalB2bua } from '../apps/minimal-b2bua';
import { freePorts, killAll, runSipp, startSippServer } from '../helpers/sipp';
import { waitForEngineIdle } from '../helpers/engine-under-test';

const SC = (name: string): string => path.join(__dirname, '..', 'scenarios', name);
const SECRET = 'link-secret';

let engine: SipEngine;
let sipPort: number;
let wirePort: number;

t.before(async () => {
  [sipPort] = await freePorts(1);
  // Short T1/T4 so finished transactions' windows (64·T1, T4) close within the test.
  engine = new SipEngine({
    sip: [{ protocol: 'udp', address: '127.0.0.1', port: sipPort! }],
    wire: { host: '127.0.0.1', port: 0, secret: SECRET },
    timers: { T1: 100, T2: 400, T4: 500 },
  });
  wirePort = (await engine.start()).wire.port;
});

t.teardown(async () => {
  killAll();
  await engine.stop();
});

/** Send one frame, read the first whole answer frame, as raw text. */
async function exchange(s: Duplex, payload: string): Promise<string> {
  const answer = new Promise<string>((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const hash = buf.indexOf('#');
      const len = Number(buf.toString('ascii', 0, hash));
      if (hash > 0 && buf.length >= hash + 1 + len) {
        s.off('data', onData);
        resolve(buf.toString('utf8', 0, hash + 1 + len));
      }
    };
    s.on('data', onData);
  });
  s.write(`${Buffer.byteLength(payload)}#${payload}`);
  return answer;
}

/** The answer with its generated message id replaced, so TCP and link answers compare. */
const shape = (frame: string): string => frame.replace(/^\d+#[^|]+\|/, 'N#<id>|');

t.test('the link answers authenticate, route and ping with the same frames as the TCP listener', async (t) => {
  const tcp = net.connect(wirePort, '127.0.0.1');
  await new Promise((r) => tcp.once('connect', r));
  const link = engine.connectLocal();
  await new Promise((r) => link.once('connect', r));
  for (const cmd of [`a1|authenticate|${SECRET}|`, 'a2|route|invite', 'a3|ping', 'a4|bogus']) {
    const [overTcp, overLink] = [await exchange(tcp, cmd), await exchange(link, cmd)];
    t.equal(shape(overLink), shape(overTcp), `${cmd.split('|')[1]}: ${shape(overLink).slice(0, 60)}`);
    t.match(overLink, /^\d+#[0-9a-f-]{36}\|response\|a\d\|/, 'a drachtio response frame with a length prefix');
  }
  t.equal(engine.stats().applications, 2, 'both connections are authenticated applications');
  tcp.destroy();
  link.end();
  const until = Date.now() + 2000;
  while (engine.stats().applications > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(engine.stats().applications, 0, 'ending the link disconnects the application on the engine side');
  t.ok(link.destroyed, 'the application end is closed too');
});

t.test('an unchanged srf B2BUA carries 300 calls over the link with 0 failures, then leaves nothing behind', async (t) => {
  const [uasPort] = await freePorts(1);
  const uas = await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: uasPort!, transport: 'u1', timeoutMs: 120_000 });
  const app = await startMinimalB2bua({ host: '127.0.0.1', port: wirePort, secret: SECRET, target: `sip:127.0.0.1:${uasPort}`, local: engine.connectLocal() });
  try {
    t.equal(engine.stats().applications, 1, 'srf authenticated over the link');
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${sipPort}`, rate: 100, calls: 300, concurrent: 300, timeoutMs: 60_000 });
    t.equal(r.failed, 0, 'no failed calls');
    t.equal(r.successful, 300, 'every call completed');
    t.equal(app.stats.connected, 300, 'srf bridged every call');
  } finally {
    app.stop();
    await uas.stop();
  }
  const counts = await waitForEngineIdle(engine, 15_000);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 }, `no dialog or transaction left ${JSON.stringify(engine.dialogSummaries())}`);
  const until = Date.now() + 2000;
  while (engine.stats().applications > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(engine.stats().applications, 0, 'srf.disconnect() closed the link on the engine side');
});
