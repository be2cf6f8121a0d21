/**
 * The embedded engine on its own thread (--engine-thread on, src/engine/thread): trunkwise as users
 * run it, with that switch. Calls go through it and the engine's transactions and dialogs return to
 * 0; SIGTERM drains through it (calls up finish, a new one gets 503, the process exits 0); a stalled
 * app makes the engine thread shed new calls (503 + Retry-After at once, over UDP and TCP) as when
 * both shared one loop — the app's heartbeat reaches the thread through shared memory; and an engine
 * thread that dies ends the process with exit 1 so that its supervisor restarts the edge.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { runSipp, killAll, sippErrors } from '../helpers/sipp';
import { startWithFiveSippCarriers, type Trunkwise } from '../helpers/trunkwise-process';
import { until, wait } from '../helpers/wait';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const THREAD = { TRUNKWISE_ENGINE_THREAD: 'on' };
t.teardown(killAll);

interface HealthBody { activeCalls: number; draining: boolean; engine: { dialogs: number; serverTransactions: number; clientTransactions: number; clientOptionsTransactions: number } }
const health = async (tw: Trunkwise): Promise<HealthBody> => (await tw.admin('GET', '/health')).body as HealthBody;

function threadMode(t: Test, tw: Trunkwise): void {
  const ready = tw.logs.find((l) => l.msg === 'trunkwise ready');
  t.equal(ready?.engine, 'thread', 'trunkwise says its engine runs on a thread of its own');
}

/** Wait (≤ 40 s: the transactions' 32 s windows) until the engine holds nothing but the carrier probes. */
async function drained(tw: Trunkwise): Promise<HealthBody> {
  let h = await health(tw);
  const end = Date.now() + 40_000;
  while (Date.now() < end && (h.engine.dialogs > 0 || h.engine.serverTransactions > 0 || h.engine.clientTransactions > h.engine.clientOptionsTransactions)) {
    await wait(500);
    h = await health(tw);
  }
  return h;
}

t.test('calls through the engine thread: all answered, its transactions and dialogs back to 0', async (t) => {
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer.xml'), THREAD);
  threadMode(t, tw);
  const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 50, calls: 300, duration: 300, timeoutMs: 60_000 });
  t.equal(r.failed, 0, 'no call failed');
  if (r.failed > 0) t.comment(`SIPp errors:\n${sippErrors(r.dir)}`);
  t.equal(r.successful, 300, 'every call answered');
  const h = await drained(tw);
  t.same([h.engine.dialogs, h.engine.serverTransactions, h.engine.clientTransactions - h.engine.clientOptionsTransactions, h.activeCalls], [0, 0, 0, 0],
    'dialogs, server and client transactions (beyond the probes) and active calls back to 0');
});

t.test('SIGTERM drains through the engine thread: calls up finish, a new call gets 503, exit 0', async (t) => {
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer.xml'), THREAD);
  const calls = runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 20, calls: 10, duration: 4000, timeoutMs: 30_000 });
  await wait(1200); // every call set up (10 at 20/s), none ended (4 s hold)
  const up = await health(tw);
  t.ok(up.activeCalls >= 8, `calls up before SIGTERM (${up.activeCalls})`);
  t.ok(tw.signal('SIGTERM'), 'SIGTERM sent');
  await wait(300);
  const refused = await runSipp({ scenario: SC('uac-expect-503.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 1, calls: 1, timeoutMs: 10_000 });
  t.equal(refused.successful, 1, 'a new call while draining gets 503');
  const r = await calls;
  t.equal(r.successful, 10, `every call up at SIGTERM finished normally (${r.failed} failed)`);
  if (r.failed > 0) t.comment(`SIPp errors:\n${sippErrors(r.dir)}`);
  t.ok(await until(() => !tw.running(), 10_000), 'trunkwise exited by itself once the calls ended');
  t.equal(tw.exitCode(), 0, 'exit code 0');
  await wait(100); // the pipe's last chunk
  t.ok(tw.logs.some((l) => l.msg === 'trunkwise stopped'), 'its last line, "trunkwise stopped", was written before the exit');
});

/** A raw INVITE from a new call; resolves with the first final (non-1xx) response's text, or '' after `ms`. */
function inviteFinal(protocol: 'udp' | 'tcp', port: number, callId: string, ms: number): Promise<{ text: string; afterMs: number }> {
  const start = Date.now();
  const msg = (lport: number): string => [
    `INVITE sip:15550001@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:${lport};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70', 'From: <sip:ivr@127.0.0.1>;tag=ivr1', 'To: <sip:15550001@127.0.0.1>',
    `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <sip:ivr@127.0.0.1:${lport}>`, 'Content-Length: 0', '', '',
  ].join('\r\n');
  return new Promise((resolve) => {
    let done: (text: string) => void;
    const finals = (chunk: string): void => {
      for (const m of chunk.split(/\r\n\r\n/)) if (/^SIP\/2\.0 [2-6]\d\d /.test(m)) return done(m);
    };
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      done = (text) => { clearTimeout(timer); s.close(); resolve({ text, afterMs: Date.now() - start }); };
      s.on('message', (b) => finals(b.toString('latin1')));
      s.bind(0, '127.0.0.1', () => s.send(msg(s.address().port), port, '127.0.0.1'));
    } else {
      const c = net.connect(port, '127.0.0.1', () => c.write(msg(c.localPort!)));
      let buf = '';
      done = (text) => { clearTimeout(timer); c.destroy(); resolve({ text, afterMs: Date.now() - start }); };
      c.on('data', (b) => finals((buf += b.toString('latin1'))));
      c.on('error', () => undefined);
    }
    const timer = setTimeout(() => done(''), ms);
  });
}

t.test('the app stalls for 4.5 s: the engine thread sheds new calls at once, with 503 + Retry-After', async (t) => {
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer.xml'), { ...THREAD, TRUNKWISE_TEST_HOOKS: '1', TRUNKWISE_TEST_STALL_MS: '4500' });
  const stalledAt = Date.now();
  t.ok(tw.signal('SIGUSR2'), 'the app thread busy for 4.5 s (test hook)');
  await wait(2400); // past limits.ingressMaxLagMs (2 s): a shorter stall delays calls rather than refusing them
  for (const protocol of ['udp', 'tcp'] as const) {
    const r = await inviteFinal(protocol, tw.sipPort, `stall-${protocol}-${Date.now()}`, 1500);
    t.match(r.text, /^SIP\/2\.0 503 /, `${protocol}: a new INVITE during the stall is answered 503`);
    t.match(r.text, /\r\nRetry-After: \d+/i, `${protocol}: with Retry-After`);
    t.ok(Date.now() - stalledAt < 4500, `${protocol}: answered in ${r.afterMs} ms by the engine thread, while the app was still stalled`);
  }
  await wait(Math.max(0, stalledAt + 5000 - Date.now())); // the stall is over
  const after = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 10, calls: 5, duration: 100, timeoutMs: 20_000 });
  t.equal(after.successful, 5, 'after the stall new calls are served');
  const metrics = String((await tw.admin('GET', '/metrics')).body);
  const shed = [...metrics.matchAll(/^trunkwise_engine_shed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  t.ok(shed >= 2, `the sheds are counted (trunkwise_engine_shed_total: ${shed})`);
});

t.test('the engine thread dies: trunkwise logs it and exits 1 for its supervisor to restart it', async (t) => {
  const preload = path.join(__dirname, '..', 'helpers', 'terminate-workers.cjs');
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer.xml'), { ...THREAD, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}` });
  threadMode(t, tw);
  t.ok(tw.signal('SIGUSR2'), 'the engine thread terminated (test preload: SIGUSR2 ends the main thread\'s workers)');
  t.ok(await until(() => !tw.running(), 5000), 'trunkwise exited');
  t.equal(tw.exitCode(), 1, 'exit code 1');
  await wait(100); // the pipe's last chunk
  const fatal = tw.logs.find((l) => l.level === 60);
  t.match(fatal?.msg, /SIP engine thread died/, 'a fatal line says why');
  if (!fatal) t.comment(`last lines: ${JSON.stringify(tw.logs.slice(-5))}`);
});
