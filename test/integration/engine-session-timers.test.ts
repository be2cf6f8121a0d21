/**
 * RFC 4028 session timers on both legs, with SIPp playing the IVR and the carrier in both roles:
 * - caller leg: the IVR refreshes, then stops → the edge sends BYE (Reason "Session timer expired")
 *   before the session expires and the app gets its unsolicited BYE; the IVR asks the edge to refresh
 *   → the edge re-INVITEs at half the interval with the SDP it last sent;
 * - carrier leg: the carrier makes the edge the refresher → refreshing re-INVITE; the carrier is the
 *   refresher and goes quiet → BYE to it, and the B2BUA hangs the caller up;
 * - Session-Expires below our Min-SE from a UAC that supports timers → 422 with Min-SE (initial INVITE
 *   and re-INVITE).
 * Min-SE is lowered to 4 s here (RFC minimum 90) so a 6 s session runs in seconds.
 */
import t from 'tap';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { runSipp, startSippServer, freePorts, killAll, sippErrors, type SippResult } from '../helpers/sipp';
import { startEngineUnderTest, parseHostports, embeddedOnly, waitForEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { RawSipPeer, ids, isResponse, request, SDP } from '../apps/raw-sip-peer';

const SC = (name: string): string => path.join(__dirname, '..', 'scenarios', name);
const skip = embeddedOnly('Min-SE lowered to 4 s (an engine setting) and engine counters');

let mode: { kind: 'uas' } | { kind: 'b2bua'; target: string } = { kind: 'uas' };
let engine: EngineUnderTest;
let srf: Srf;
let udp: { address: string; port: number };
const destroyed: string[] = [];

t.before(async () => {
  if (skip) return;
  engine = await startEngineUnderTest({ behaviour: { sessionTimers: { minSE: 4 } } });
  srf = new Srf();
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    if (mode.kind === 'uas') {
      srf.createUAS(req, res, { localSdp: SDP }).then((d: Srf.Dialog) => {
        Reflect.apply(d.on, d, ['destroy', (_m: unknown, reason: string) => void destroyed.push(reason)]);
      }, () => undefined);
      return;
    }
    srf.createB2BUA(req, res, mode.target, {}).then(({ uas, uac }) => {
      uas.on('destroy', () => uac.destroy());
      Reflect.apply(uac.on, uac, ['destroy', (_m: unknown, reason: string) => {
        destroyed.push(reason);
        uas.destroy();
      }]);
    }, () => undefined);
  });
  udp = parseHostports(await connectSrf(srf, engine.wire)).udp!;
});

t.teardown(async () => {
  killAll();
  if (skip) return;
  srf.disconnect();
  await engine.stop();
});

const caller = (scenario: string, calls: number, extra: Partial<Parameters<typeof runSipp>[0]> = {}): Promise<SippResult> =>
  runSipp({ scenario: SC(scenario), remote: `${udp.address}:${udp.port}`, calls, rate: 10, timeoutMs: 60_000, ...extra });

t.test('IVR refreshes once, then stops: BYE "Session timer expired" before expiry, app told', { skip }, async (t) => {
  mode = { kind: 'uas' };
  destroyed.length = 0;
  const r = await caller('uac-ivr-session-timer-refresher.xml', 3);
  if (r.failed) t.comment(sippErrors(r.dir));
  t.equal(r.successful, 3, '200 with Session-Expires 6;refresher=uac + Require: timer; refresh answered; then the BYE with the Reason');
  t.same(destroyed, ['Session timer expired', 'Session timer expired', 'Session timer expired'], 'each app dialog got its unsolicited BYE');
  t.equal((await waitForEngineIdle(engine.embedded!, 1000)).dialogs, 0);
});

t.test('IVR asks the edge to refresh: re-INVITE with Session-Expires ;refresher=uac at half the interval', { skip }, async (t) => {
  mode = { kind: 'uas' };
  const r = await caller('uac-ivr-session-timer-edge-refreshes.xml', 3);
  if (r.failed) t.comment(sippErrors(r.dir));
  t.equal(r.successful, 3);
  t.equal((await waitForEngineIdle(engine.embedded!, 1000)).dialogs, 0);
});

async function viaB2bua(carrierScenario: string, callerScenario: string, holdMs: number): Promise<{ caller: SippResult; carrier: SippResult }> {
  const [port] = await freePorts(1);
  const carrier = await startSippServer({ scenario: SC(carrierScenario), localPort: port!, transport: 'u1', timeoutMs: 60_000 });
  mode = { kind: 'b2bua', target: `sip:127.0.0.1:${port}` };
  const r = await caller(callerScenario, 3, { duration: holdMs });
  await new Promise((res) => setTimeout(res, 800));
  return { caller: r, carrier: await carrier.stop() };
}

t.test('carrier makes the edge the refresher: the carrier gets the refreshing re-INVITE', { skip }, async (t) => {
  const { caller: r, carrier } = await viaB2bua('uas-carrier-session-timer-edge-refreshes.xml', 'uac-basic-call.xml', 4500);
  if (r.failed || carrier.failed) t.comment(`caller:\n${sippErrors(r.dir)}\ncarrier:\n${sippErrors(carrier.dir)}`);
  t.equal(carrier.successful, 3, 'refresh re-INVITE (Session-Expires 6;refresher=uac) received and answered');
  t.equal(r.successful, 3, 'the caller never noticed');
  t.equal((await waitForEngineIdle(engine.embedded!, 1000)).dialogs, 0);
});

t.test('carrier is the refresher and goes quiet: BYE to the carrier, the caller is hung up', { skip }, async (t) => {
  destroyed.length = 0;
  const { caller: r, carrier } = await viaB2bua('uas-carrier-session-timer-stops-refreshing.xml', 'uac-remote-bye.xml', 0);
  if (r.failed || carrier.failed) t.comment(`caller:\n${sippErrors(r.dir)}\ncarrier:\n${sippErrors(carrier.dir)}`);
  t.equal(carrier.successful, 3, 'BYE with Reason "Session timer expired" before the session expired');
  t.equal(r.successful, 3, 'the caller got its BYE');
  t.same(destroyed, ['Session timer expired', 'Session timer expired', 'Session timer expired']);
  t.equal((await waitForEngineIdle(engine.embedded!, 1000)).dialogs, 0);
});

t.test('Session-Expires below Min-SE → 422 with Min-SE (initial INVITE and re-INVITE)', { skip }, async (t) => {
  mode = { kind: 'uas' };
  const peer = await RawSipPeer.open();
  try {
    const id = ids('se');
    peer.send(request({ peerPort: peer.port, target: udp, ...id, extra: ['Supported: timer', 'Session-Expires: 2'] }), udp.port);
    const r422 = await peer.wait(isResponse(422, 'INVITE'), 2000, '422');
    t.equal(r422.message.headers.get('min-se'), '4');
    // Without Supported: timer the UAS cannot usefully refuse: it raises the interval instead (RFC 4028 §9 errata).
    const id2 = ids('se');
    peer.send(request({ peerPort: peer.port, target: udp, ...id2, extra: ['Session-Expires: 2'] }), udp.port);
    const ok = await peer.wait(isResponse(200, 'INVITE'), 2000, '200');
    t.equal(ok.message.headers.get('session-expires'), '4;refresher=uas', 'raised to Min-SE, and we refresh (the UAC cannot)');
    const toTag = /;tag=([^;]+)/.exec(ok.message.headers.get('to') ?? '')![1]!;
    peer.send(request({ peerPort: peer.port, target: udp, ...id2, branch: `${id2.branch}a`, method: 'ACK', toTag, body: '' }), udp.port);
    peer.send(request({ peerPort: peer.port, target: udp, ...id2, branch: `${id2.branch}r`, toTag, cseq: 2, extra: ['Supported: timer', 'Session-Expires: 3'] }), udp.port);
    const re422 = await peer.wait(isResponse(422, 'INVITE'), 2000, '422 to the re-INVITE');
    t.equal(re422.message.headers.get('min-se'), '4');
    peer.send(request({ peerPort: peer.port, target: udp, ...id2, branch: `${id2.branch}b`, method: 'BYE', toTag, cseq: 3, body: '' }), udp.port);
    await peer.wait(isResponse(200, 'BYE'), 2000, '200 to BYE');
  } finally {
    peer.close();
  }
});

t.test('every dialog and transaction of this file has ended (timer D window)', { skip }, async (t) => {
  const counts = await waitForEngineIdle(engine.embedded!, 33_000);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 }, JSON.stringify(engine.embedded!.dialogSummaries()));
});
