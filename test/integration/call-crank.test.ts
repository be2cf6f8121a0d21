/**
 * Calls caught on a dying carrier (issue 13): carrier-a (SIPp) is silenced mid-traffic with SIGSTOP
 * — it answers neither INVITEs nor OPTIONS. The attempts already sent to it have heard nothing; when
 * health takes it down they must crank back at once, not wait out their no-provisional timer
 * (3 s here, with adaptation switched off: floor = maximum, so only the down-crank can help).
 * 0 failed calls; the abandoned attempts are not charged to carrier-a a second time; after it comes
 * back (SIGCONT: it answers what queued, the engine CANCELs) no transaction or dialog is left.
 */
import t from 'tap';
import path from 'node:path';
import { runSipp, killAll, sippErrors, startSippServer, freePorts, type SippServer } from '../helpers/sipp';
import { startTrunkwise, cdrs, FIVE_CARRIER_IDS as IDS, type CarrierSpec } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
t.teardown(killAll);

const NO_PROVISIONAL_MS = 3000;
const ROUTE = `routes:
  - id: default
    default: true
    carriers: [${IDS.map((id) => `{ id: ${id} }`).join(', ')}]
    strategy: health-weighted
    maxAttempts: 3
    timers: { attemptNoProvisionalMs: ${NO_PROVISIONAL_MS}, attemptNoProvisionalFloorMs: ${NO_PROVISIONAL_MS}, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
`;

interface HealthBody { activeCalls: number; engine: { dialogs: number; serverTransactions: number; clientTransactions: number } }
interface EventView { carrier?: string; from?: string; to?: string; reason: string; atMs?: number }
interface CarrierView { id: string; health: { signals: Array<{ name: string; samples: number }>; unscored: Array<{ name: string; samples: number }> } }
type Attempt = { carrier: string; outcome: string; startedAt: number; reason?: string; fault?: string };

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

t.test('carrier-a goes silent: its unanswered attempts crank back when it goes down, not after the 3 s timer', async (t) => {
  const ports = await freePorts(5);
  const servers: SippServer[] = [];
  for (const p of ports) servers.push(await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: p, timeoutMs: 120_000 }));
  const specs: CarrierSpec[] = IDS.map((id, i) => ({ id, port: ports[i]!, weight: 20 }));
  const tw = await startTrunkwise({ carriers: specs, routes: { '99-default.yaml': ROUTE } });
  const silent = servers[0]!;
  t.teardown(async () => {
    silent.signal('SIGCONT');
    await tw.stop();
    for (const s of servers) await s.stop().catch(() => undefined);
  });

  const calls = runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 30, calls: 210, duration: 200, timeoutMs: 60_000 });
  await sleep(2500);
  t.ok(silent.signal('SIGSTOP'), 'carrier-a silenced (SIGSTOP: no INVITE or OPTIONS answered)');
  const silentAt = Date.now();
  const r = await calls;
  t.equal(r.failed, 0, 'no call failed');
  if (r.failed > 0) t.comment(`SIPp errors:\n${sippErrors(r.dir)}`);
  t.equal(r.successful, 210, 'every call answered');

  const all = cdrs(tw.logs) as unknown as Array<{ setupMs?: number; startedAt: number; attempts: Attempt[] }>;
  const base = p50(all.filter((c) => c.startedAt < silentAt && c.setupMs !== undefined).map((c) => c.setupMs!));
  const hit = all.filter((c) => c.attempts[0]?.carrier === 'carrier-a' && c.attempts[0].startedAt >= silentAt && c.attempts[0].outcome === 'timeout');
  t.ok(hit.length >= 2, `${hit.length} calls hit the silent carrier before it was taken down`);
  const extra = hit.map((c) => (c.setupMs ?? Infinity) - base);
  t.comment(`extra setup delay of those calls: ${extra.map((x) => Math.round(x)).join(', ')} ms (baseline p50 ${base} ms)`);
  // Measured from the moment carrier-a went down, not from each call's start: when down comes is the
  // silence check's business (3 unanswered INVITEs, the oldest 500 ms old) — with equal weights
  // carrier-a gets ~6 of the 30 calls/s, and CI once saw its third INVITE only 1.06 s after the first
  // (extra delays 1264 and 1164 ms, each cranked back at the moment of down). Before the fix each
  // waited out its 3 s timer, whenever down came.
  const downAt = ((await tw.admin('GET', '/events')).body as { events: EventView[] }).events.find((e) => e.carrier === 'carrier-a' && e.to === 'down')?.atMs;
  t.ok(downAt !== undefined, 'carrier-a went down');
  const crankedAt = hit.map((c) => (c.attempts[1]?.startedAt ?? Infinity) - (downAt ?? 0));
  t.comment(`second attempts started ${crankedAt.map((x) => Math.round(x)).join(', ')} ms after carrier-a went down`);
  t.ok(Math.max(...crankedAt) < 300, `every one cranked back within 300 ms of carrier-a going down (max ${Math.round(Math.max(...crankedAt))} ms)`);
  const waited = hit.map((c) => (c.attempts[1]?.startedAt ?? Infinity) - c.attempts[0]!.startedAt);
  t.ok(Math.max(...waited) < NO_PROVISIONAL_MS - 500, `none waited out its ${NO_PROVISIONAL_MS} ms timer (longest wait ${Math.round(Math.max(...waited))} ms)`);
  t.ok(hit.some((c) => c.attempts[0]!.reason === 'carrier-down'), 'CDR: attempts given up because the carrier went down say so');
  t.ok(hit.every((c) => c.attempts.length >= 2 && c.attempts[c.attempts.length - 1]!.outcome === 'answered'), 'each was answered by another carrier');

  // Not charged twice: health judged carrier-a on its answered attempts and the timeouts before it went
  // down; the attempts given up because it was down are not among its call samples.
  await sleep(1200); // a health evaluation after the last call
  const judged = all.flatMap((c) => c.attempts).filter((x) => x.carrier === 'carrier-a' && x.reason !== 'carrier-down' && (x.outcome === 'answered' || x.fault === 'carrier')).length;
  const view = ((await tw.admin('GET', '/carriers')).body as { carriers: CarrierView[] }).carriers.find((c) => c.id === 'carrier-a')!;
  const cf = [...view.health.signals, ...view.health.unscored].find((s) => s.name === 'callFailure');
  t.equal(cf?.samples, judged, `carrier-a's call-failure signal counts ${judged} attempts: none given up for being down`);

  const events = ((await tw.admin('GET', '/events')).body as { events: EventView[] }).events.filter((e) => e.carrier === 'carrier-a');
  t.same(events.map((e) => `${e.from}→${e.to}`), ['active→down'], 'carrier-a taken down once');
  const logs = tw.logs.filter((l) => l.event === 'carrier-down-crankback');
  t.ok(logs.length === 1 && Number(logs[0]!.attempts) >= 1, `one "carrier down: unanswered attempts crank back" line (${String(logs[0]?.attempts)} attempts)`);

  // Back: carrier-a answers its backlog; the engine CANCELs (or ACKs and BYEs) every abandoned INVITE.
  t.ok(silent.signal('SIGCONT'), 'carrier-a back');
  const health = async (): Promise<HealthBody> => (await tw.admin('GET', '/health')).body as HealthBody;
  const waitFor = async (pred: (h: HealthBody) => boolean, ms: number): Promise<HealthBody> => {
    const until = Date.now() + ms;
    for (;;) {
      const h = await health();
      if (pred(h) || Date.now() > until) return h;
      await sleep(250);
    }
  };
  // Calls end at once. A dialog may not: when carrier-a's backlog burst loses a 200 after its 180, the
  // CANCEL gets its 200 but SIPp (which closes the call on CANCEL) never sends the INVITE's 487, so the
  // INVITE — and its early dialog — end 64·T1 = 32 s after the CANCEL (RFC 3261 §9.1). Seen once in CI.
  let h = await waitFor((x) => x.activeCalls === 0, 10_000);
  t.equal(h.activeCalls, 0, 'no call left');
  h = await waitFor((x) => x.engine.dialogs === 0, 40_000);
  t.same([h.activeCalls, h.engine.dialogs], [0, 0], 'no call or dialog left (within 64·T1 of the last CANCEL)');
  if (h.activeCalls !== 0 || h.engine.dialogs !== 0) t.comment(`left: ${JSON.stringify(h)}\nlast log lines: ${tw.logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
  // Transactions linger by design after they end over UDP (timers J, L, M: 64·T1 = 32 s after the last call).
  h = await waitFor((x) => x.engine.clientTransactions === 0 && x.engine.serverTransactions === 0, 40_000);
  t.same([h.engine.clientTransactions, h.engine.serverTransactions], [0, 0], 'no transaction left once their timers have run');
});
