/**
 * Overload is local (issue 9): when trunkwise itself stalls — here its event loop is blocked for
 * 1.5 s (a busy loop via the SIGUSR2 test hook, src/app/test-hooks.ts) while calls are being set up,
 * so timers fire late and the carriers' responses wait in the socket buffers behind them — the
 * attempts' "no response" timers must not charge the carriers: none leaves service, every call ends
 * with a final response. (A SIGSTOP does not show it: on SIGCONT Node reads the sockets first.)
 * After the stall the edge works through its backlog (60 INVITEs at once): every carrier's answers
 * wait behind it, late and "silent" at once — carrier health blames the edge for that
 * (src/health/blame.ts), not the carriers. The second test makes that deterministic: every carrier
 * answers 700 ms late at once (what the edge's own queues do to all of them) — the local-fault alarm
 * goes up and no carrier is degraded (before: all five degraded for callLate).
 */
import t from 'tap';
import path from 'node:path';
import { runSipp, killAll, sippErrors } from '../helpers/sipp';
import { startWithFiveSippCarriers, cdrs, FIVE_CARRIER_IDS as IDS } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
t.teardown(killAll);

interface CarriersBody { localFault: boolean; carriers: Array<{ id: string; health: { state: string } | null }> }

t.test('the edge stalls for 1.5 s mid-traffic: no carrier charged, every call answered', async (t) => {
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer-slow.xml'), { TRUNKWISE_TEST_HOOKS: '1', TRUNKWISE_TEST_STALL_MS: '1500' });

  const calls = runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 40, calls: 200, duration: 500, timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 2000));
  t.ok(tw.signal('SIGUSR2'), 'trunkwise busy for 1.5 s (test hook: its event loop blocked)');
  const r = await calls;
  // 23 of 200 failed once on a loaded machine before health took the blame off the carriers; 0 failed
  // since in 11 runs (3 with a busy loop hogging one core). Should it fail, SIPp's errors and the CDRs say why.
  t.equal(r.successful, 200, `every call answered (${r.failed} failed)`);
  if (r.failed > 0) {
    t.comment(`SIPp errors:\n${sippErrors(r.dir)}`);
    t.comment(`CDRs not answered: ${JSON.stringify(cdrs(tw.logs).filter((c) => c.outcome !== 'answered'))}`);
  }
  await new Promise((res) => setTimeout(res, 1500)); // a health evaluation tick after the stall

  const view = (await tw.admin('GET', '/carriers')).body as CarriersBody;
  t.same(view.carriers.map((c) => [c.id, c.health?.state]), IDS.map((id) => [id, 'active']), 'every carrier still active');
  const events = ((await tw.admin('GET', '/events')).body as { events: Array<{ kind: string; carrier?: string; to?: string; reason?: string }> }).events;
  t.comment(`health events: ${JSON.stringify(events.map((e) => [e.kind, e.carrier, e.to, e.reason]))}`);
  t.same(events.filter((e) => e.kind === 'state'), [], 'no carrier changed state');
  t.same(events.filter((e) => /no response/i.test(e.reason ?? '')), [], 'no "INVITE with no response" charged to any carrier');
  t.same(events.filter((e) => /hard failures/i.test(e.reason ?? '')), [], 'no attempt timeout counted as a carrier hard failure');
  const charged = cdrs(tw.logs).flatMap((c) => (c as { attempts: Array<{ carrier: string; outcome: string; fault?: string }> }).attempts).filter((a) => a.outcome === 'timeout' && a.fault !== 'local');
  t.same(charged, [], 'no attempt timeout blamed on a carrier');
});

t.test('every carrier answers late at once (700 ms, past T1): the edge is suspect, no carrier degraded', async (t) => {
  const { tw } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer-late.xml'));
  const calls = runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 20, calls: 160, duration: 200, timeoutMs: 60_000 });
  let raised = false;
  while (!raised && tw.running()) {
    raised = ((await tw.admin('GET', '/carriers')).body as CarriersBody).localFault;
    if (!raised) await new Promise((res) => setTimeout(res, 250));
    if (!raised && cdrs(tw.logs).length >= 150) break;
  }
  t.ok(raised, 'local-fault alarm raised');
  const r = await calls;
  t.equal(r.successful, 160, `every call answered (${r.failed} failed)`);
  await new Promise((res) => setTimeout(res, 1500)); // a health evaluation tick after the traffic
  const view = (await tw.admin('GET', '/carriers')).body as CarriersBody;
  t.same(view.carriers.map((c) => [c.id, c.health?.state]), IDS.map((id) => [id, 'active']), 'every carrier still active');
  const events = ((await tw.admin('GET', '/events')).body as { events: Array<{ kind: string; carrier?: string; to?: string; reason?: string }> }).events;
  t.same(events.filter((e) => e.kind === 'state'), [], 'no carrier changed state');
  t.match(events.find((e) => e.kind === 'local-fault-raised')?.reason, /every carrier asked meanwhile was slow too/, 'the alarm says why');
});
