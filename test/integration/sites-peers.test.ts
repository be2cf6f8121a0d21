/**
 * Issue 13, peer sites as last resort: two real trunkwise edges ("site A", "site B") on loopback,
 * each the other's peer, each with one simulated carrier (test/helpers/site-pair.ts). Both answer
 * the IVR's OPTIONS 200 even with no carrier, so each sees the other as a usable peer whatever
 * happens to its carriers — the loop guard, not the probes, must stop a call from coming back.
 *
 *  (a) A's carrier down → the call goes to peer B, answered on B's carrier; A's CDR has the peer
 *      attempt, B's CDR says which peer handed it over; A shows B in GET /carriers as a peer, probed.
 *  (b) both sites' carriers down → the caller gets a clean 503 after one hop: one INVITE into A,
 *      one into B, none back into A.
 *  (c) the peer marker from a non-peer address (127.0.0.2) is ignored: B hands that call to A as it
 *      would any call (a trusted marker would have stopped it), and A does not send it back.
 */
import t from 'tap';
import path from 'node:path';
import { startSimulator } from '../../src/sim';
import type { Trunkwise } from '../helpers/trunkwise-process';
import { startSitePair, carrierRow, cdrList } from '../helpers/site-pair';
import { runSipp, sippErrors } from '../helpers/sipp';
import { waitFor } from '../helpers/wait';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const DOWN = { mode: 'reject' as const, rejectCode: 503, optionsCode: 503 };
const stateOf = carrierRow;

t.test('peer sites: last resort, loop-free, marker trusted only from peers', async (t) => {
  const sim = await startSimulator({ carriers: ['carrier-a1', 'carrier-b1'].map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const })), seed: 13 });
  t.teardown(() => sim.stop());
  const { a, b } = await startSitePair(t, sim);
  const call = (tw: Trunkwise, scenario: string, localIp?: string) =>
    runSipp({ scenario: SC(scenario), remote: `127.0.0.1:${tw.sipPort}`, calls: 1, timeoutMs: 20_000, duration: 200, ...(localIp && { localIp }) });

  await t.test('(a) site A with its carrier down: the call is answered on site B\'s carrier', async (t) => {
    sim.set('carrier-a1', DOWN);
    t.ok(await waitFor(async () => (await stateOf(a, 'carrier-a1'))?.state === 'down', 10_000), 'carrier-a1 down at A');
    t.ok(await waitFor(async () => (await stateOf(a, 'site-b'))?.state === 'active', 10_000), 'peer site-b probed alive at A');
    t.match(await stateOf(a, 'site-b'), { peer: true, health: { state: 'active' } }, 'A lists site-b among its carriers as a peer, with its health');
    const r = await call(a, 'uac-basic-call.xml');
    t.equal(r.successful, 1, `caller answered ${r.successful === 1 ? '' : sippErrors(r.dir)}`);
    t.ok(await waitFor(async () => cdrList(a).length === 1 && cdrList(b).length === 1, 5000), 'one CDR on each site');
    t.match(cdrList(a)[0], { outcome: 'answered', attempts: [{ carrier: 'site-b', peer: true, outcome: 'answered' }] }, 'A: answered through its peer, first attempt');
    t.equal(cdrList(a)[0]!.attempts.length, 1, 'A did not try its down carrier first');
    t.match(cdrList(b)[0], { outcome: 'answered', fromPeer: 'site-a', attempts: [{ carrier: 'carrier-b1', outcome: 'answered' }] }, 'B: placed on its own carrier, handed over by site-a');
    t.ok(a.logs.some((l) => l.event === 'peer-first' && l.why === 'no-local-carrier'), 'A logged why the call went to a peer first');
  });

  await t.test('(b) both sites\' carriers down: a clean 503 after one hop, no loop', async (t) => {
    sim.set('carrier-b1', DOWN);
    t.ok(await waitFor(async () => (await stateOf(b, 'carrier-b1'))?.state === 'down', 10_000), 'carrier-b1 down at B');
    t.equal((await stateOf(b, 'site-a'))?.state, 'active', 'B still sees site-a as a usable peer (so only the loop guard can stop a loop)');
    const invitesA1 = sim.stats('carrier-a1').invites;
    const invitesB1 = sim.stats('carrier-b1').invites;
    const r = await call(a, 'uac-expect-503.xml');
    t.equal(r.successful, 1, `caller got 503 ${r.successful === 1 ? '' : sippErrors(r.dir)}`);
    t.ok(await waitFor(async () => cdrList(a).length === 2 && cdrList(b).length === 2, 5000), 'one more CDR on each site');
    await new Promise((res) => setTimeout(res, 1000)); // anything bouncing back would show by now
    t.equal(cdrList(a).length, 2, 'no INVITE came back into A');
    t.equal(cdrList(b).length, 2, 'exactly one INVITE into B');
    t.match(cdrList(b)[1], { fromPeer: 'site-a', finalStatus: 503 });
    t.notOk(cdrList(b)[1]!.attempts.some((x) => x.peer), 'B did not hand a peer\'s call to a peer');
    t.match(cdrList(a)[1], { finalStatus: 503, attempts: [{ carrier: 'site-b', peer: true, outcome: 'rejected', status: 503 }, { carrier: 'carrier-a1', status: 503 }] }, 'A: peer first, then its own down carrier, then 503');
    t.equal(sim.stats('carrier-a1').invites - invitesA1, 1, 'carrier-a1 got one INVITE');
    t.equal(sim.stats('carrier-b1').invites - invitesB1, 1, 'carrier-b1 got one INVITE');
  });

  await t.test('(c) the peer marker from a non-peer address is ignored', async (t) => {
    const r = await call(b, 'uac-peer-marker-expect-503.xml', '127.0.0.2');
    t.equal(r.successful, 1, `forged-marker caller got 503 ${r.successful === 1 ? '' : sippErrors(r.dir)}`);
    t.ok(await waitFor(async () => cdrList(a).length === 3 && cdrList(b).length === 3, 5000), 'one more CDR on each site');
    await new Promise((res) => setTimeout(res, 1000));
    t.equal(cdrList(b).length, 3, 'no INVITE came back into B');
    const atB = cdrList(b)[2]!;
    t.equal(atB.fromPeer, undefined, 'B did not take 127.0.0.2 for a peer');
    t.match(atB, { source: '127.0.0.2', attempts: [{ carrier: 'site-a', peer: true }] }, 'B handed the call to its peer as any call with no carrier');
    t.match(cdrList(a)[2], { fromPeer: 'site-b' }, 'A trusted the marker from B\'s address');
    t.notOk(cdrList(a)[2]!.attempts.some((x) => x.peer), 'and did not send it back');
  });
});
