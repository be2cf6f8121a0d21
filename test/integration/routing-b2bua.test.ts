/**
 * Issue 3's "done means", end to end: SIPp as the IVR, five SIPp processes (or silence) as the
 * carriers, trunkwise itself (src/main.ts) in between as a child process; CDRs read from its logs.
 */
import t from 'tap';
import path from 'node:path';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { runSipp, startSippServer, freePorts, killAll, type SippServer } from '../helpers/sipp';
import { startTrunkwise, cdrs, carriersYaml, type CarrierSpec, type Trunkwise } from '../helpers/trunkwise-process';
import { waitFor } from '../helpers/wait';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const WEIGHTS = [30, 25, 20, 15, 10];
const IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'];

const DEFAULT_ROUTE = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }, { id: carrier-b }, { id: carrier-c }, { id: carrier-d }, { id: carrier-e }]
    strategy: health-weighted
    maxAttempts: 3
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
  - id: busy-test
    match: { prefix: '777' }
    carriers: [{ id: carrier-c, order: 1 }, { id: carrier-a, order: 2 }]
    strategy: priority
    maxAttempts: 2
`;

t.teardown(killAll);

/** Start one SIPp UAS per carrier with the given scenario (undefined = silent: a socket that never answers). */
async function carriers(scenarios: Array<string | undefined>): Promise<{ specs: CarrierSpec[]; stop(): Promise<void> }> {
  const ports = await freePorts(5);
  const servers: SippServer[] = [];
  const sinks: dgram.Socket[] = [];
  // The five start side by side (each waits until its port listens).
  await Promise.all(Array.from({ length: 5 }, (_, i) => scenarios[i]).map(async (sc, i) => {
    if (sc) servers.push(await startSippServer({ scenario: SC(sc), localPort: ports[i]!, timeoutMs: 600_000 }));
    else {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(ports[i]!, '127.0.0.1', () => r()));
      sinks.push(s);
    }
  }));
  return {
    specs: IDS.map((id, i) => ({ id, port: ports[i]!, weight: WEIGHTS[i]! })),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      for (const s of sinks) s.close();
    },
  };
}

async function withSystem(scenarios: Array<string | undefined>, fn: (tw: Trunkwise) => Promise<void>, args: string[] = [], env: Record<string, string> = {}): Promise<void> {
  const c = await carriers(scenarios);
  const tw = await startTrunkwise({ carriers: c.specs, routes: { '99-default.yaml': DEFAULT_ROUTE }, args, env });
  try {
    await fn(tw);
  } finally {
    await tw.stop();
    await c.stop();
  }
}

const ALL_ANSWER = Array<string>(5).fill('uas-carrier-answer.xml');

t.test('5,000 calls at 200 calls/s: 0 failures, traffic within 5 points of the weights', async (t) => {
  await withSystem(ALL_ANSWER, async (tw) => {
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001',
      rate: 200, calls: 5000, concurrent: 1000, duration: 200, timeoutMs: 120_000 });
    t.equal(r.failed, 0, 'no failed calls');
    t.equal(r.successful, 5000);
    await new Promise((res) => setTimeout(res, 1000));
    const records = cdrs(tw.logs).filter((c) => c.outcome === 'answered');
    const total = records.length;
    t.equal(total, 5000, 'one CDR per call');
    const sum = WEIGHTS.reduce((a, b) => a + b, 0);
    IDS.forEach((id, i) => {
      const share = records.filter((c) => c.attempts[0]?.carrier === id).length / total;
      const want = WEIGHTS[i]! / sum;
      t.ok(Math.abs(share - want) <= 0.05, `${id}: ${(share * 100).toFixed(1)} % of calls, weight ${(want * 100).toFixed(0)} %`);
    });
  });
});

t.test('one carrier rejecting everything with 503: 0 failed calls, crankback in the CDR', async (t) => {
  await withSystem(['uas-carrier-answer.xml', 'uas-carrier-reject-503.xml', 'uas-carrier-answer.xml', 'uas-carrier-answer.xml', 'uas-carrier-answer.xml'], async (tw) => {
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 50, calls: 300, duration: 100, timeoutMs: 60_000 });
    t.equal(r.failed, 0);
    t.equal(r.successful, 300);
    await new Promise((res) => setTimeout(res, 500));
    const cranked = cdrs(tw.logs).filter((c) => c.attempts.some((a) => a.carrier === 'carrier-b' && a.status === 503));
    // Carrier health takes carrier-b out after a handful of 503s (callFailure), so only the first few calls meet it.
    t.ok(cranked.length >= 3, `${cranked.length} calls cranked back from carrier-b`);
    const b = ((await tw.admin('GET', '/carriers')).body as { carriers: { id: string; health: { state: string } }[] }).carriers.find((c) => c.id === 'carrier-b');
    t.not(b?.health.state, 'active', `carrier-b taken out of service by its call outcomes (${b?.health.state})`);
    t.ok(cranked.every((c) => c.outcome === 'answered' && c.attempts.length >= 2), 'each of them answered by another carrier');
  });
});

t.test('one carrier silent: 0 failed calls, extra setup delay bounded by the per-attempt timer', async (t) => {
  await withSystem(['uas-carrier-answer.xml', 'uas-carrier-answer.xml', undefined, 'uas-carrier-answer.xml', 'uas-carrier-answer.xml'], async (tw) => {
    const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 50, calls: 300, concurrent: 500, duration: 100, timeoutMs: 90_000 });
    t.equal(r.failed, 0);
    t.equal(r.successful, 300);
    await new Promise((res) => setTimeout(res, 500));
    const hit = cdrs(tw.logs).filter((c) => c.attempts.some((a) => a.carrier === 'carrier-c'));
    // The silence check takes carrier-c down within about a second, so only the first calls meet it.
    t.ok(hit.length >= 1, `${hit.length} calls tried the silent carrier`);
    const maxSetup = Math.max(...hit.map((c) => c.setupMs ?? 0));
    t.ok(maxSetup < 1000 + 500, `max setup ${maxSetup} ms with a 1,000 ms per-attempt timer`);
  });
});

t.test('486 from a carrier reaches the caller and is not retried elsewhere', async (t) => {
  await withSystem(['uas-carrier-answer.xml', 'uas-carrier-answer.xml', 'uas-carrier-reject-486.xml', 'uas-carrier-answer.xml', 'uas-carrier-answer.xml'], async (tw) => {
    const r = await runSipp({ scenario: SC('uac-expect-486.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '7771234', rate: 10, calls: 10, timeoutMs: 30_000 });
    t.equal(r.successful, 10, 'every caller got 486');
    await new Promise((res) => setTimeout(res, 300));
    const recs = cdrs(tw.logs);
    t.equal(recs.length, 10);
    t.ok(recs.every((c) => c.attempts.length === 1 && c.attempts[0]!.carrier === 'carrier-c' && c.finalStatus === 486), 'one attempt each, no crankback');
  });
});

t.test('invalid carriers.yaml on reload is refused; traffic continues on the old config', async (t) => {
  await withSystem(ALL_ANSWER, async (tw) => {
    writeFileSync(tw.carriersFile, carriersYaml([{ id: 'carrier-a', port: 5071, weight: 1 }]).replace('transport=udp', 'transport=sctp'));
    const r = await tw.admin('POST', '/reload', 'test-token');
    t.equal(r.status, 400);
    const msg = (r.body as { message: string }).message;
    t.match(msg, /carriers\.yaml/, 'names the file');
    t.match(msg, /carriers\[0\]\.uri/, 'names the path');
    t.equal((await tw.admin('POST', '/reload')).status, 401, 'without the admin token: refused');
    const calls = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 20, calls: 40, duration: 100, timeoutMs: 30_000 });
    t.equal(calls.failed, 0);
    t.equal(calls.successful, 40, 'calls still go out on the running config');
  });
});

t.test('non-allowlisted source: 403, no dialog or transaction left behind', async (t) => {
  await withSystem(ALL_ANSWER, async (tw) => {
    const r = await runSipp({ scenario: SC('uac-expect-403.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 10, calls: 5, timeoutMs: 30_000 });
    t.equal(r.successful, 5, 'each INVITE answered 403');
    // The INVITE server transaction lingers for timer I (T4 = 5 s on UDP) after the ACK, then must be
    // gone: polled for up to the 6 s this test used to sleep, so it ends as soon as nothing is left.
    type Engine = { dialogs: number; serverTransactions: number; clientTransactions: number };
    const engine = async (): Promise<Engine> => ((await tw.admin('GET', '/health')).body as { engine: Engine }).engine;
    await waitFor(async () => { const e = await engine(); return e.dialogs + e.serverTransactions + e.clientTransactions === 0; }, 6000);
    const h = { engine: await engine() };
    t.equal(h.engine.dialogs, 0);
    t.equal(h.engine.serverTransactions, 0);
    t.equal(h.engine.clientTransactions, 0);
    t.equal(cdrs(tw.logs).length, 0, 'no call was started');
  }, ['--allow', '10.0.0.0/8']);
});

t.test('IVR digest authentication: right credentials place calls, wrong ones get 401 and leave nothing', async (t) => {
  const env = { TRUNKWISE_IVR_AUTH: 'ivr-east:c0rrect-h0rse,ivr-west:other-pass' };
  await withSystem(ALL_ANSWER, async (tw) => {
    const ok = await runSipp({ scenario: SC('uac-auth-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 20, calls: 20, duration: 100, timeoutMs: 30_000,
      extraArgs: ['-au', 'ivr-east', '-ap', 'c0rrect-h0rse'] });
    t.equal(ok.failed, 0, 'no failed calls with the right password');
    t.equal(ok.successful, 20);
    const bad = await runSipp({ scenario: SC('uac-auth-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, rate: 10, calls: 5, timeoutMs: 30_000,
      extraArgs: ['-au', 'ivr-east', '-ap', 'wrong-password'] });
    t.equal(bad.successful, 0, 'no call with a wrong password');
    t.equal(bad.failed, 5, 'each refused with a second 401');
    await new Promise((res) => setTimeout(res, 300));
    t.equal(cdrs(tw.logs).filter((c) => c.outcome === 'answered').length, 20, 'only the authenticated calls were placed');
    t.ok(tw.logs.some((l) => l.msg === 'IVR digest authentication failed' && l.reason === 'bad-response'), 'failure logged with its reason');
    const text = JSON.stringify(tw.logs);
    t.notOk(text.includes('c0rrect-h0rse') || text.includes('other-pass'), 'passwords never reach the logs');
  }, [], env);
});
