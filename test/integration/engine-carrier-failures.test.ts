/**
 * Issue 10's "carrier rings then rejects" and "carrier rings then goes silent", end to end: SIPp
 * caller → engine → unchanged srf B2BUA (createB2BUA) → engine → SIPp carrier. Every call gets its
 * answer, the silent carrier receives the CANCEL, and the engine's dialog and transaction counts
 * return to 0 within the RFC windows: 64·T1 for the give-up after CANCEL (§9.1), timer D (≥ 32 s
 * over UDP, Table 4) for the client INVITE transaction that saw the 486.
 */
import t from 'tap';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { runSipp, startSippServer, freePorts, killAll, sippErrors, type SippResult } from '../helpers/sipp';
import { startEngineUnderTest, parseHostports, embeddedOnly, waitForEngineIdle, assertEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { startMinimalB2bua } from '../apps/minimal-b2bua';
import { connectSrf } from '../../src/app/srf-connect';
import Srf from 'drachtio-srf';

const SC = (name: string): string => path.join(__dirname, '..', 'scenarios', name);
const T1 = 50; // 64·T1 = 3.2 s
const shortT1 = embeddedOnly('checks the 64·T1 give-up with T1 = 50 ms (an engine setting) and its counters');

let engine: EngineUnderTest;
let udp: { address: string; port: number };

t.before(async () => {
  engine = await startEngineUnderTest({ timers: { T1, T2: 4000, T4: 5000 } });
  const probe = new Srf();
  udp = parseHostports(await connectSrf(probe, engine.wire)).udp!;
  probe.disconnect();
});

t.teardown(async () => {
  killAll();
  await engine.stop();
});

/** `settleMs`: how long the carrier's scenario needs after the caller's last call (its timewait). */
async function scenario(carrier: string, caller: string, calls: number, settleMs: number, callerArgs: string[] = []): Promise<{ caller: SippResult; carrier: SippResult }> {
  const [port] = await freePorts(1);
  const uas = await startSippServer({ scenario: SC(carrier), localPort: port!, transport: 'u1', timeoutMs: 120_000 });
  const app = await startMinimalB2bua({ ...engine.wire, target: `sip:127.0.0.1:${port}` });
  try {
    const r = await runSipp({ scenario: SC(caller), remote: `${udp.address}:${udp.port}`, calls, rate: 10, timeoutMs: 60_000, extraArgs: callerArgs });
    if (r.failed > 0) t.comment(`caller errors:\n${sippErrors(r.dir)}\ncarrier errors:\n${sippErrors(uas.dir)}`);
    await new Promise((res) => setTimeout(res, settleMs));
    return { caller: r, carrier: await uas.stop() };
  } finally {
    app.stop();
  }
}

t.test('carrier rings then goes silent: the caller cancels, the carrier receives the CANCEL', { skip: shortT1 }, async (t) => {
  const started = Date.now();
  const { caller, carrier } = await scenario('uas-carrier-ring-then-silent.xml', 'uac-cancel-before-answer.xml', 10, 2500);
  t.equal(caller.successful, 10, 'every caller got 200 to its CANCEL and the 487');
  t.equal(carrier.successful, 10, 'the carrier received every CANCEL');
  // Runs first, so no other test's transaction is in the counts.
  const counts = await waitForEngineIdle(engine.embedded!, 64 * T1 + 1000);
  t.equal(counts.dialogs, 0, 'no dialog left');
  t.equal(counts.clientTransactions, 0, `the B-leg INVITEs gave up 64·T1 after their CANCEL (${Date.now() - started} ms for 10 calls)`);
});

t.test('carrier rings then rejects: the caller gets the 486 once and ACKs it; no dialog left', async (t) => {
  const { caller, carrier } = await scenario('uas-carrier-ring-then-reject.xml', 'uac-expect-486.xml', 10, 1000, ['-trace_msg']);
  t.equal(caller.successful, 10, 'every caller got the 486');
  t.equal(caller.failed, 0);
  t.equal(carrier.successful, 10, 'the carrier got every ACK');
  // The caller's ACK must end the engine's 486 retransmissions (RFC 3261 §17.2.1). An ACK dropped as a
  // "retransmission" brings the 486 again at T1, 3·T1, 7·T1 … (50, 150, 350 ms …) while SIPp still runs
  // for the later calls, about 25 extra over 10 calls at 10/s (SIPp's trace logs every datagram it
  // receives). A few may cross an ACK on a loaded machine, hence the margin.
  const log = readdirSync(caller.dir).find((f) => f.endsWith('_messages.log'));
  const received486 = log ? (readFileSync(path.join(caller.dir, log), 'latin1').match(/^SIP\/2\.0 486 /gm) ?? []).length : -1;
  t.ok(received486 >= 10 && received486 <= 13, `the callers received the 486 once per call, give or take a copy crossing an ACK (${received486} for 10 calls)`);
  await assertEngineIdle(t, engine, 1000, 'no early dialog left on either leg', true);
});

t.test('all transactions end within timer D (32 s) of the last final response', { skip: embeddedOnly('reads the engine\'s transaction counters') }, async (t) => {
  const counts = await waitForEngineIdle(engine.embedded!, 33_000);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 });
});
