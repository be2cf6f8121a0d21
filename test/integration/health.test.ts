/**
 * Issue 4's "done means", end to end: SIPp as the IVR, the carrier simulator as the five carriers
 * (behaviour changed live), trunkwise as a child process probing them and routing on health.
 */
import t, { type Test } from 'tap';
import path from 'node:path';
import { runSipp, killAll, sippErrors, type SippResult } from '../helpers/sipp';
import { cdrs } from '../helpers/trunkwise-process';
import { startHealthSystem, percentile, routeYaml, IDS, TEST_HEALTH, type HealthSystem } from '../helpers/health-system';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.teardown(killAll);

function load(hs: HealthSystem, rate: number, seconds: number, hold = 200): Promise<SippResult> {
  return runSipp({
    scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${hs.tw.sipPort}`, service: '15550001',
    rate, calls: rate * seconds, concurrent: 2000, duration: hold, timeoutMs: (seconds + 60) * 1000,
  });
}

async function withSystem(fn: (hs: HealthSystem) => Promise<void>, health?: string, route?: string): Promise<void> {
  const hs = await startHealthSystem(health, route === undefined ? {} : { route });
  try {
    await fn(hs);
  } finally {
    await hs.stop();
  }
}

function noFailures(t: Test, r: SippResult, calls: number, hs?: HealthSystem): void {
  // The why goes into the assertion's own message: the terse reporter of a full run prints a failed
  // assertion's message but not comments, and a flake that cannot be read cannot be fixed.
  const failedCdrs = (): string => (hs ? cdrs(hs.tw.logs).filter((c) => c.outcome !== 'answered') : []).map((c) => JSON.stringify(c)).join('\n') || '(none)';
  const why = r.failed === 0 ? '' : ` — SIPp errors:\n${sippErrors(r.dir)}\nCDRs of calls not answered:\n${failedCdrs()}`;
  t.equal(r.failed, 0, `no failed calls${why}`);
  t.equal(r.successful, calls, `${calls} calls completed`);
}

t.test('a carrier that goes silent at 100 calls/s is dropped within 1 s; it comes back after good probes, ramping', async (t) => {
  await withSystem(async (hs) => {
    const run = load(hs, 100, 30);
    await sleep(5000);
    const silentAt = Date.now();
    hs.sim.set('carrier-a', { mode: 'silent', optionsCode: 0 });
    const downAt = await hs.waitFor('carrier-a', (c) => c.health.state === 'down', 5000);
    t.ok(downAt, 'carrier-a marked down');
    await sleep(7000);
    const lastInvite = hs.sim.stats('carrier-a').lastInviteAt ?? 0;
    t.ok(lastInvite > silentAt, 'the silent carrier did receive INVITEs after going silent (the measurement is live)');
    t.ok(lastInvite - silentAt <= 1000, `last new INVITE reached the silent carrier ${lastInvite - silentAt} ms after it went silent (limit 1000)`);

    const backAt = Date.now();
    hs.sim.set('carrier-a', { mode: 'answer', optionsCode: 200 });
    const upAt = await hs.waitFor('carrier-a', (c) => c.health.state === 'active', 10_000);
    t.ok(upAt, 'carrier-a active again');
    t.ok(upAt! - backAt >= 2000, `recovery took ${upAt! - backAt} ms: three good probe rounds, not the first answer`);
    const r = await run;
    noFailures(t, r, 3000, hs);
    await sleep(500);

    // Extra setup delay of calls whose first attempt hit the silent carrier: bounded by the 1 s per-attempt timer.
    const hit = cdrs(hs.tw.logs).filter((c) => c.attempts[0]?.carrier === 'carrier-a' && c.attempts[0]?.outcome === 'timeout');
    const delays = hit.map((c) => c.setupMs ?? 0);
    t.ok(hit.length > 0, `${hit.length} calls hit the silent carrier before it was dropped`);
    t.comment(`extra setup delay of those calls: max ${Math.max(...delays)} ms, p99 ${percentile(delays, 99)} ms (per-attempt timer 1000 ms)`);
    t.ok(Math.max(...delays) <= 1000 + 500, 'max setup delay ≤ per-attempt timer + 500 ms');

    // The ramp: carrier-a's share right after recovery is below its share once the ramp is over.
    const early = hs.shares(upAt!, upAt! + 3000).share['carrier-a']!;
    const late = hs.shares(upAt! + 8000, upAt! + 12_000);
    t.comment(`carrier-a share: ${(early * 100).toFixed(1)} % in the first 3 s after recovery, ${(late.share['carrier-a']! * 100).toFixed(1)} % 8–12 s after (${late.total} calls)`);
    t.ok(early < late.share['carrier-a']!, 'traffic ramps back rather than jumping');
    const events = (await hs.events()).filter((e) => e.carrier === 'carrier-a').map((e) => `${e.from}→${e.to}`);
    t.same(events, ['active→down', 'down→probing', 'probing→active'], 'event history');
  });
});

t.test('a carrier dropping 10 % of the SIP packets it receives is degraded within 30 s and loses at least half its share', async (t) => {
  await withSystem(async (hs) => {
    const started = Date.now();
    const run = load(hs, 50, 50);
    await sleep(10_000);
    const lossAt = Date.now();
    hs.sim.set('carrier-a', { dropPercent: 10 });
    const degradedAt = await hs.waitFor('carrier-a', (c) => c.health.state === 'degraded' || c.health.state === 'down', 30_000);
    t.ok(degradedAt, `degraded ${degradedAt ? degradedAt - lossAt : '-'} ms after the loss began (limit 30 000)`);
    const c = await hs.carrier('carrier-a');
    t.comment(`carrier-a: ${JSON.stringify({ state: c.health.state, score: c.health.score, signals: c.health.signals.map((s) => [s.name, s.value, s.factor]) })}`);
    t.ok(c.health.signals.some((s) => (s.name === 'probeLate' || s.name === 'callLate') && s.value > 0.03 && s.factor < 1),
      'the score says why: probes or INVITEs answered only after a retransmission');
    const r = await run;
    noFailures(t, r, 2500, hs);
    await sleep(500);
    const before = hs.shares(started + 2000, lossAt).share['carrier-a']!;
    const after = hs.shares(degradedAt! + 5000, degradedAt! + 20_000);
    t.comment(`carrier-a share before the loss ${(before * 100).toFixed(1)} %, after degraded ${(after.share['carrier-a']! * 100).toFixed(1)} % (${after.total} calls)`);
    t.ok(after.total > 200, 'enough calls after degradation to judge');
    t.ok(after.share['carrier-a']! <= before / 2, 'share fell by at least half');
  });
});

t.test('a carrier answering OPTIONS but rejecting INVITEs with 503 is detected from call outcomes', async (t) => {
  await withSystem(async (hs) => {
    hs.sim.set('carrier-b', { mode: 'reject', rejectCode: 503 });
    const started = Date.now();
    const run = load(hs, 50, 12);
    // Out of normal service = anything but active: its OPTIONS are fine, so a down carrier-b moves on to
    // probing within one probe round (tens of ms) — a poll looking only for down/degraded can miss it.
    const downAt = await hs.waitFor('carrier-b', (c) => c.health.state !== 'active', 12_000);
    t.ok(downAt, `carrier-b taken out of normal service ${downAt ? downAt - started : '-'} ms after its 503s began (limit 12 000)`);
    if (!downAt) {
      const c = await hs.carrier('carrier-b');
      t.comment(`carrier-b at 12 s: ${JSON.stringify({ state: c.health.state, score: c.health.score, signals: c.health.signals.map((s) => [s.name, s.value, s.factor]) })}; events: ${JSON.stringify(await hs.events())}`);
    }
    const ev = (await hs.events()).find((e) => e.carrier === 'carrier-b');
    t.match(ev?.reason, /score/, `reason: ${ev?.reason}`);
    const c = await hs.carrier('carrier-b');
    t.ok(c.health.signals.some((s) => s.name === 'callFailure' && s.value > 0.5), 'callFailure signal explains it');
    t.ok(c.health.signals.some((s) => s.name === 'probeLoss' && s.value === 0), 'while its probes are fine');
    noFailures(t, await run, 600, hs);
  });
});

t.test('a carrier flapping every 2 s does not flap routing', async (t) => {
  await withSystem(async (hs) => {
    const run = load(hs, 50, 26);
    await sleep(2000);
    const flapStart = Date.now();
    for (let i = 0; i < 10; i++) {
      hs.sim.set('carrier-c', { dropPercent: i % 2 === 0 ? 100 : 0 });
      await sleep(2000);
    }
    hs.sim.set('carrier-c', { dropPercent: 100 });
    const flapEnd = Date.now();
    const changes = (await hs.events()).filter((e) => e.carrier === 'carrier-c' && e.at >= flapStart);
    const intoService = changes.filter((e) => e.to === 'active');
    t.comment(`carrier-c state changes while flapping: ${changes.map((e) => `${e.from}→${e.to}`).join(', ')}`);
    t.ok(intoService.length <= 1, `routing put carrier-c back in service ${intoService.length} time(s) in 20 s of flapping`);
    const share = hs.shares(flapStart + 4000, flapEnd);
    t.comment(`carrier-c first-attempt share after the first flap: ${(share.share['carrier-c']! * 100).toFixed(1)} % (${share.total} calls)`);
    t.ok(share.share['carrier-c']! < 0.05, 'it gets (almost) no new calls while flapping');
    noFailures(t, await run, 1300, hs);
  });
});

// Every carrier losing 10 % of what it receives: an attempt fails when its INVITE is lost and the
// short adapted timer (400 ms, under T1) gives up before the retransmission — 1 in 10 — and the last
// attempt, which waits the full 1 s, when the INVITE and its one retransmission are both lost — 1 in
// 100. With three attempts that is 1 call in 10,000 — the luck of the draw at that configuration;
// it was 1 in 1,000 while the last attempt also gave up at 400 ms, a defect (CI: 1 of 1,200 failed,
// 408; test/integration/call-last-attempt.test.ts). An alarm route that must survive a sick site tries every
// carrier: with five attempts, 1 in 1,000,000 (one run of this test in ~800), so "no call failed" is
// what the test can demand.
t.test('all five carriers degraded at once: calls still routed, local-fault alarm raised', async (t) => {
  await withSystem(async (hs) => {
    const run = load(hs, 30, 40);
    await sleep(3000);
    for (const id of IDS) hs.sim.set(id, { dropPercent: 10 });
    const until = Date.now() + 30_000;
    let raised = false;
    while (!raised && Date.now() < until) {
      raised = (await hs.carriers()).localFault;
      if (!raised) await sleep(500);
    }
    t.ok(raised, 'local fault suspected (GET /carriers)');
    const metrics = (await hs.tw.admin('GET', '/metrics')).body as string;
    t.match(metrics, /trunkwise_local_fault 1/, 'metric raised');
    t.ok(hs.tw.logs.some((l) => (l as { event?: string }).event === 'local-fault'), 'alarm logged');
    t.ok((await hs.events()).some((e) => e.kind === 'local-fault-raised'), 'alarm in the event history');
    const states = (await hs.carriers()).carriers.map((c) => c.health.state);
    t.comment(`states under the local fault: ${states.join(', ')}`);
    const raisedAt = Date.now();
    noFailures(t, await run, 1200, hs);
    const after = hs.shares(raisedAt, raisedAt + 60_000);
    t.ok(after.total > 50, `${after.total} calls routed after the alarm`);

    // While the edge suspects itself, no attempt gives up before its INVITE's first retransmission
    // (the adapted 400 ms timer is for a dead carrier, not for our own lost packets): every attempt of
    // a call that arrived while the alarm was up ran with the route's full 1 s. The timers are fixed
    // when the call is planned, on arrival — a call that arrived just before the alarm keeps its
    // adapted timers for its later attempts (a full run saw one start 400 ms after the alarm) — and
    // a 100 ms margin after each change of the alarm covers a call planned just before it.
    const events = await hs.events();
    const windows: Array<[number, number]> = [];
    for (const e of events) {
      if (e.kind === 'local-fault-raised') windows.push([e.at + 100, Infinity]);
      else if (e.kind === 'local-fault-cleared' && windows.length > 0) windows[windows.length - 1]![1] = e.at;
    }
    type Attempt = { carrier: string; noProvisionalMs?: number };
    const during = (cdrs(hs.tw.logs) as unknown as Array<{ startedAt: number; attempts: Attempt[] }>)
      .filter((c) => windows.some(([from, to]) => c.startedAt >= from && c.startedAt < to)).flatMap((c) => c.attempts);
    t.ok(during.length > 50, `${during.length} attempts of calls that arrived while the local-fault alarm was up`);
    const short = during.filter((a) => a.noProvisionalMs !== 1000);
    t.equal(short.length, 0, `each ran with the full 1 s no-provisional timer${short.length ? ` (not: ${short.slice(0, 5).map((a) => `${a.carrier} ${a.noProvisionalMs} ms`).join(', ')})` : ''}`);
  }, TEST_HEALTH, routeYaml('relay', 5));
});
