/**
 * Issue 9, the health part: slowness of the edge itself (a stall, a backlog) is never charged to a
 * carrier. The rule (src/health/blame.ts) on its own, the witness record (src/health/round-trips.ts),
 * then the whole monitor on scripted traffic: a backlog that makes every carrier late at once, one
 * carrier really silent or lossy among five, and the single-carrier case.
 */
import t from 'tap';
import fc from 'fast-check';
import { blameSlowness, type PeerLook } from '../../src/health/blame';
import { RoundTrips } from '../../src/health/round-trips';
import { HealthMonitor, type AttemptTrack } from '../../src/health/monitor';
import { HEALTH_DEFAULTS } from '../../src/config/health';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';

const peer = (id: string, answeredOnTimeSince: boolean, askedSince: boolean, awaitingSince = false): PeerLook => ({ id, answeredOnTimeSince, askedSince, awaitingSince });
const look = (peers: PeerLook[], edgeStalledMs = 0) => ({ edgeStalledMs, toleranceMs: 200, peers });

t.test('blame: each clause', async (t) => {
  t.match(blameSlowness(look([peer('b', true, true)], 1500)), { blame: 'edge', why: /stalled 1500 ms/ }, 'the edge stalled: its own, whatever the peers say');
  t.match(blameSlowness(look([peer('b', false, true), peer('c', true, true)])), { blame: 'carrier', why: /c answered a later request on time/ });
  t.match(blameSlowness(look([peer('b', false, true), peer('c', false, true), peer('d', false, false)])), { blame: 'edge', why: /every carrier asked meanwhile was slow too \(b, c\)/ });
  t.match(blameSlowness(look([peer('b', false, false)])), { blame: 'carrier', why: /no other carrier to compare with/ }, 'peers idle: cannot compare');
  t.match(blameSlowness(look([peer('b', false, false, true), peer('c', false, false)])), { blame: 'undecided', why: /answers of b to later requests are not due yet/ }, 'a peer asked since, its answer not due: too early');
  t.match(blameSlowness(look([peer('b', false, true, true), peer('c', false, false, true)])), { blame: 'edge' }, 'one witness due and late is enough');
  t.match(blameSlowness(look([])), { blame: 'carrier' }, 'one carrier: its own unless the edge stalled');
  t.match(blameSlowness(look([], 1500)), { blame: 'edge' }, 'one carrier, but the edge stalled');
  t.match(blameSlowness(look([], 200)), { blame: 'carrier' }, 'a stall within tolerance is no excuse');
});

const arbPeer = fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), answeredOnTimeSince: fc.boolean(), askedSince: fc.boolean(), awaitingSince: fc.boolean() });

t.test('blame: properties', async () => {
  fc.assert(fc.property(fc.array(arbPeer, { maxLength: 6 }), fc.integer({ min: 201, max: 60_000 }), (peers, stalled) =>
    blameSlowness(look(peers, stalled)).blame === 'edge'), { seed: 9 });
  // The edge was running: the carrier is charged exactly when a peer was prompt, or nobody was asked
  // since; undecided exactly when only answers not yet due could tell.
  fc.assert(fc.property(fc.array(arbPeer, { maxLength: 6 }), fc.integer({ min: 0, max: 200 }), (peers, stalled) => {
    const blame = blameSlowness(look(peers, stalled)).blame;
    const prompt = peers.some((p) => p.answeredOnTimeSince);
    return (blame === 'carrier') === (prompt || !peers.some((p) => p.askedSince || p.awaitingSince))
      && (blame === 'undecided') === (!prompt && !peers.some((p) => p.askedSince) && peers.some((p) => p.awaitingSince));
  }), { seed: 9 });
  // A prompt witness more never moves blame from the carrier to the edge; the order of peers never matters.
  fc.assert(fc.property(fc.array(arbPeer, { maxLength: 6 }), arbPeer, (peers, extra) => {
    const before = blameSlowness(look(peers)).blame;
    const after = blameSlowness(look([...peers, { ...extra, answeredOnTimeSince: true }])).blame;
    return !(before === 'carrier' && after === 'edge') && blameSlowness(look([...peers].reverse())).blame === before;
  }), { seed: 9 });
});

t.test('round trips: requests in a time range and the newest on-time answer, against a plain list', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2000 }), (sends, from, len) => {
    const r = new RoundTrips(1_000_000);
    for (const s of sends) r.sent(s);
    return r.askedBetween(from, from + len) === sends.some((s) => s >= from && s <= from + len);
  }), { seed: 9 });
  const r = new RoundTrips(10_000);
  r.sent(100);
  r.answered(100, 600, 500);
  t.equal(r.answeredOnTimeSince(0), false, 'a late answer is no on-time witness');
  r.sent(200);
  r.answered(200, 20, 500);
  t.equal(r.answeredOnTimeSince(200), true);
  t.equal(r.answeredOnTimeSince(201), false);
  r.sent(20_500);
  t.equal(r.askedBetween(0, 300), false, 'sends older than keepMs are forgotten');
  t.equal(r.askedBetween(20_000, 21_000), true);
});

// ---- the monitor on scripted traffic ----

interface Sim {
  m: HealthMonitor;
  logs: Array<{ event?: string; msg?: string; carrier?: string; to?: string; reason?: string }>;
  /** One attempt to `id` at `at`: first response `answerMs` later (none: undefined), ended `endMs` later. */
  attempt(id: string, at: number, answerMs: number | undefined, endMs?: number): void;
  /** Runs every scripted event and a monitor tick every 100 ms up to `until`. */
  run(until: number): void;
}

/** `stall`: the edge's event loop blocked over [from, to): no tick runs, and its stall clock reports it. */
function sim(ids: readonly string[], stall?: readonly [number, number]): Sim {
  const edgeStalledWithin = stall && ((from: number, to: number): number => Math.max(0, Math.min(to, stall[1]) - Math.max(from, stall[0])));
  const logs: Sim['logs'] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void logs.push(JSON.parse(l) as Sim['logs'][number]) } });
  const m = new HealthMonitor({ health: { ...HEALTH_DEFAULTS }, carriers: ids.map((id) => ({ id, probe: { enabled: false } })) },
    { logger, metrics: createMetrics(), operatorInService: () => true, ...(edgeStalledWithin && { edgeStalledWithin }) }, 0);
  const events: Array<{ at: number; seq: number; fn: () => void }> = [];
  let seq = 0;
  let clock = 0;
  const at = (when: number, fn: () => void): void => void events.push({ at: when, seq: seq++, fn });
  return {
    m, logs,
    attempt: (id, start, answerMs, endMs = (answerMs ?? 1000) + 100) => {
      let track: AttemptTrack | undefined;
      at(start, () => (track = m.attemptStarted(id, start)));
      if (answerMs !== undefined) at(start + answerMs, () => track!.responded(start + answerMs));
      at(start + endMs, () => track!.finished(answerMs === undefined ? 'failure' : 'ok', start + endMs));
    },
    run: (until) => {
      for (let tick = Math.ceil((clock + 1) / 100) * 100; tick <= until; tick += 100) {
        if (!stall || tick <= stall[0] || tick >= stall[1]) at(tick, () => m.tick(tick));
      }
      events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      while (events.length > 0 && events[0]!.at <= until) events.shift()!.fn();
      clock = until;
    },
  };
}

const FIVE = ['a', 'b', 'c', 'd', 'e'] as const;
const stateChanges = (s: Sim): string[] => s.m.events().filter((e) => e.kind === 'state').map((e) => `${'carrier' in e ? e.carrier : ''} ${'to' in e ? e.to : ''}: ${e.reason}`);
const callLate = (s: Sim, id: string, now: number): { value: number; samples: number } | undefined =>
  (s.m.view(id, now)?.signals as Array<{ name: string; value: number; samples: number }>).find((r) => r.name === 'callLate');

const callFactor = (s: Sim, id: string, now: number): number | undefined =>
  (s.m.view(id, now)?.signals as Array<{ name: string; factor: number }>).find((r) => r.name === 'callLate')?.factor;

/** 40 calls/s over five carriers, each answered 200 ms after the INVITE (the SIPp carriers of call-overload.test.ts). */
function steady(s: Sim, from: number, to: number, answer: (id: string, at: number) => number | undefined = () => 200): void {
  for (let at = from, i = 0; at < to; at += 25, i++) {
    const id = FIVE[i % 5]!;
    s.attempt(id, at, answer(id, at));
  }
}

t.test('a backlog in the edge makes every carrier late and silent at once: nobody charged, the local-fault alarm instead', async (t) => {
  const s = sim(FIVE);
  steady(s, 0, 10_000);
  // The edge comes back from a stall to 60 queued INVITEs: it sends them over 600 ms, then works
  // through every carrier's answers at 11.3 s — 700 to 1300 ms late; those over 1 s already timed out.
  for (let i = 0; i < 60; i++) {
    const at = 10_000 + i * 10;
    const heardAt = 11_300 - at;
    s.attempt(FIVE[i % 5]!, at, heardAt > 1000 ? undefined : heardAt, heardAt > 1000 ? 1000 : undefined);
  }
  steady(s, 11_300, 40_000);
  s.run(11_400);
  t.equal(s.m.localFaultSuspected(), true, 'local fault suspected right after the backlog');
  s.run(40_000);
  t.same(stateChanges(s), [], 'no carrier changed state (no silence, no hard failures, no degradation)');
  for (const id of FIVE) t.equal(s.m.snapshot(id, 40_000)?.state, 'active', `${id} still active`);
  const raised = s.logs.find((l) => l.event === 'local-fault');
  t.match(raised?.reason, /the edge itself is slow: .* not charged: every carrier asked meanwhile was slow too/, `alarm says why: ${raised?.reason}`);
  t.equal(s.m.localFaultSuspected(), false, 'cleared once the edge is punctual again');
  t.same(s.m.events().filter((e) => e.kind !== 'state').map((e) => e.kind), ['local-fault-raised', 'local-fault-cleared'], 'raised once, cleared once');
  // Scored at 12 s: the backlog's late answers are not counted — except the burst's very last INVITE's,
  // which no other carrier's request followed to compare with (rule 4): one sample, under `good`.
  const fresh = sim(FIVE);
  steady(fresh, 0, 10_000);
  for (let i = 0; i < 60; i++) fresh.attempt(FIVE[i % 5]!, 10_000 + i * 10, 11_300 - (10_000 + i * 10));
  fresh.run(12_000);
  fresh.m.evaluate(12_000);
  for (const id of FIVE) t.equal(callFactor(fresh, id, 12_000), 1, `${id}: callLate ${JSON.stringify(callLate(fresh, id, 12_000))} costs nothing`);
});

t.test('one carrier silent among five is taken down by the silence check as fast as with no witnesses at all', async (t) => {
  const silentFrom10s = (id: string, at: number): number | undefined => (id === 'a' && at >= 10_000 ? undefined : 200);
  const s = sim(FIVE);
  steady(s, 0, 20_000, silentFrom10s);
  s.run(20_000);
  const down = s.m.events().find((e) => e.kind === 'state' && e.to === 'down');
  t.match(down, { carrier: 'a', reason: /no response at all to \d+ INVITEs/ }, 'silence charged to the silent carrier');
  // The same traffic to 'a' alone: nobody to compare with, so the check runs as it always did.
  const alone = sim(['a']);
  for (let at = 0; at < 20_000; at += 125) alone.attempt('a', at, silentFrom10s('a', at));
  alone.run(20_000);
  const downAlone = alone.m.events().find((e) => e.kind === 'state' && e.to === 'down');
  t.ok(down && downAlone && down.at === downAlone.at, `down at ${down?.at} ms with four witnesses, ${downAlone?.at} ms alone (silent from 10 000)`);
  t.ok(down!.at <= 10_800, 'its last answer covered INVITEs up to 10 075; the next three unanswered, the oldest 500 ms, on two ticks');
  t.equal(s.m.localFaultSuspected(), false, 'no local-fault alarm');
  t.ok(FIVE.slice(1).every((id) => s.m.snapshot(id, 20_000)?.state === 'active'), 'the others stay active');
});

t.test('one carrier answering one INVITE in 20 late (a lost INVITE retransmitted) is scored late and degraded', async (t) => {
  const s = sim(FIVE);
  let n = 0;
  steady(s, 0, 30_000, (id) => (id === 'a' && n++ % 20 === 0 ? 700 : 200));
  s.run(30_000);
  t.ok((callLate(s, 'a', 30_000)?.value ?? 0) >= 0.045, `callLate of a: ${JSON.stringify(callLate(s, 'a', 30_000))}`);
  t.match(s.m.events().find((e) => e.kind === 'state'), { carrier: 'a', to: 'degraded' });
  t.equal(s.m.localFaultSuspected(), false);
});

t.test('one carrier only: its silence is its own (no second witness), unless the edge\'s stall clock says the edge stalled', async (t) => {
  const quiet = sim(['a']);
  for (let at = 0; at < 10_000; at += 100) quiet.attempt('a', at, at >= 5000 ? undefined : 200);
  quiet.run(10_000);
  t.match(quiet.m.events()[0], { kind: 'state', carrier: 'a', to: 'down', reason: /no response at all/ });

  const stalled = sim(['a'], [5000, 6500]);
  for (let at = 0; at < 4600; at += 100) stalled.attempt('a', at, 200);
  // Sent just before a 1.5 s stall (5000–6500); the answers queued meanwhile are only read at 6750,
  // after two punctual ticks have seen the carrier "silent".
  for (let at = 4600; at < 5000; at += 100) stalled.attempt('a', at, 6750 - at);
  for (let at = 6600; at < 10_000; at += 100) stalled.attempt('a', at, 200);
  stalled.run(10_000);
  t.same(stateChanges(stalled), [], 'not taken down');
  t.ok(stalled.logs.some((l) => l.event === 'local-fault'), 'the edge takes the blame: local-fault alarm');
});

t.test('every carrier answering late, judged before any other carrier\'s late answer was due: the carrier is not charged yet (CI flake of call-overload)', async (t) => {
  // What call-overload.test.ts's "every carrier answers late at once" saw on CI: crankbacks sent b
  // three INVITEs at once, and no other carrier was asked in the next 100 ms. Judged 600 ms on, the
  // other carriers' requests had not had lateAfterMs yet — no witness either way — and rule 4 ("nobody
  // to compare with") took b down although every carrier was 750 ms late.
  const s = sim(FIVE);
  steady(s, 0, 9_000);
  for (const at of [10_000, 10_010, 10_020]) s.attempt('b', at, 750);
  steady(s, 10_150, 14_000, () => 750);
  s.run(20_000);
  t.same(stateChanges(s), [], 'no carrier changed state');
  t.match(s.m.events().find((e) => e.kind === 'local-fault-raised')?.reason, /every carrier asked meanwhile was slow too/, 'the edge took the blame once the others\' answers were due');
  for (const id of FIVE) t.equal(s.m.snapshot(id, 20_000)?.state, 'active', `${id} still active`);
});
