/**
 * Issue 5's "done means", end to end: the simulator's IVR caller and carriers exchange real RTP
 * through trunkwise (a child process) anchoring the media in its relay (or rtpengine); loss is
 * injected on either side and read back from trunkwise's CDRs, health API and /health.
 */
import t from 'tap';
import path from 'node:path';
import { runSipp, sippErrors, killAll } from '../helpers/sipp';
import { startIvr, type Ivr, type IvrCallResult } from '../../src/sim/ivr';
import { cdrs } from '../helpers/trunkwise-process';
import { startHealthSystem, routeYaml, TEST_HEALTH, type HealthSystem } from '../helpers/health-system';
import type { MediaCdr } from '../../src/call/media-port';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);

t.teardown(killAll);

interface MediaRecord { callId: string; outcome: string; startedAt: number; attempts: { carrier: string }[]; media?: MediaCdr }
const records = (hs: HealthSystem): MediaRecord[] => cdrs(hs.tw.logs) as unknown as MediaRecord[];

async function withMedia(fn: (hs: HealthSystem) => Promise<void>, opts: { route?: string; rtp?: 'send' | 'echo' } = {}): Promise<void> {
  const hs = await startHealthSystem(TEST_HEALTH, { route: opts.route ?? routeYaml('relay'), behaviour: { rtp: opts.rtp ?? 'send' } });
  try {
    await fn(hs);
  } finally {
    await hs.stop();
  }
}

function ivr(hs: HealthSystem, rtpDropPercent = 0, seed = 11): Promise<Ivr> {
  return startIvr({ target: `127.0.0.1:${hs.tw.sipPort}`, localAddress: '127.0.0.1', rtpDropPercent, seed });
}

/** Σlost / Σexpected of one direction over CDRs. */
function loss(recs: MediaRecord[], dir: 'fromCaller' | 'fromCarrier'): { ratio: number; expected: number } {
  let expected = 0;
  let lost = 0;
  for (const r of recs) {
    const d = r.media?.[dir];
    if (!d) continue;
    expected += d.expected;
    lost += d.lost;
  }
  return { ratio: expected > 0 ? lost / expected : 0, expected };
}

async function mediaHealth(hs: HealthSystem): Promise<{ sessions: number; portsInUse: number; tracked: number }> {
  return ((await hs.tw.admin('GET', '/health')).body as { media: { sessions: number; portsInUse: number; tracked: number } }).media;
}

// 40 calls of 5 s: the same ~10,000 packets per direction and round as 20 of 10 s, in half the time.
t.test('40 concurrent calls through the relay: loss measured within ±1 point of the injected 0 / 5 / 20 % in each direction', async (t) => {
  await withMedia(async (hs) => {
    for (const pct of [0, 5, 20]) {
      for (const id of hs.sim.ids) hs.sim.set(id, { rtpDropPercent: pct });
      const caller = await ivr(hs, pct, 100 + pct);
      const before = Date.now();
      const results = await Promise.all(Array.from({ length: 40 }, () => caller.call({ to: '15550001', holdMs: 5_000 })));
      await caller.stop();
      await sleep(500);
      t.ok(results.every((r) => r.status === 200), `${pct} %: all 40 calls answered`);
      const recs = records(hs).filter((r) => r.startedAt >= before && r.outcome === 'answered');
      t.equal(recs.length, 40, `${pct} %: 40 CDRs with media`);
      t.ok(recs.every((r) => r.media?.mode === 'relay'), 'relay mode in the CDR');
      for (const dir of ['fromCaller', 'fromCarrier'] as const) {
        const l = loss(recs, dir);
        t.ok(l.expected > 8000, `${pct} % ${dir}: ${l.expected} packets expected`);
        t.ok(Math.abs(l.ratio * 100 - pct) <= 1, `${pct} % injected ${dir === 'fromCaller' ? 'caller → relay' : 'carrier → relay'}: measured ${(l.ratio * 100).toFixed(2)} %`);
      }
      const heard = results.reduce((n, r) => n + r.rtpReceived, 0);
      t.ok(heard > 0, `the IVR heard the carriers through the relay (${heard} packets)`);
    }
    t.same(await mediaHealth(hs), { sessions: 0, portsInUse: 0, tracked: 0 }, 'every relay port released');
  });
});

t.test('10 % RTP loss on one carrier while calls are up: its score drops and its share halves within 30 s; 0 calls fail', async (t) => {
  await withMedia(async (hs) => {
    const caller = await ivr(hs);
    const calls: Promise<IvrCallResult>[] = [];
    const start = Date.now();
    let lossAt = 0;
    let degradedAt: number | undefined;
    // 5 calls/s, 6 s each (~30 up at a time) for 45 s; carrier-a starts losing 10 % of its RTP at 12 s.
    for (let i = 0; i < 225; i++) {
      calls.push(caller.call({ to: '15550001', holdMs: 6000 }));
      await sleep(200);
      if (!lossAt && Date.now() - start >= 12_000) {
        lossAt = Date.now();
        hs.sim.set('carrier-a', { rtpDropPercent: 10 });
      }
      if (lossAt && degradedAt === undefined && i % 5 === 0) {
        const c = await hs.carrier('carrier-a');
        if (c.health.state !== 'active' || c.health.score < 0.5) degradedAt = Date.now();
      }
    }
    const results = await Promise.all(calls);
    await caller.stop();
    await sleep(500);
    t.equal(results.filter((r) => r.status !== 200).length, 0, `0 of ${results.length} calls failed`);
    t.ok(degradedAt !== undefined && degradedAt - lossAt <= 30_000, `carrier-a out of full service ${degradedAt ? degradedAt - lossAt : '-'} ms after the loss began`);
    const ev = (await hs.events()).find((e) => e.carrier === 'carrier-a');
    t.comment(`first carrier-a event: ${ev?.from}→${ev?.to}: ${ev?.reason}`);
    const c = await hs.carrier('carrier-a');
    t.comment(`carrier-a now: ${c.health.state}, signals ${JSON.stringify(c.health.signals.map((s) => [s.name, s.value]))}`);
    const before = hs.shares(start + 2000, lossAt).share['carrier-a']!;
    const after = hs.shares(lossAt + 10_000, lossAt + 30_000);
    t.comment(`carrier-a share: ${(before * 100).toFixed(1)} % before, ${(after.share['carrier-a']! * 100).toFixed(1)} % 10–30 s after the loss began (${after.total} calls)`);
    t.ok(after.total > 60, 'enough calls in the window to judge');
    t.ok(after.share['carrier-a']! <= before / 2, 'share of new calls fell by at least half');
    if (after.share['carrier-a']! > before / 2) {
      const at = (ms: number): string => `+${((ms - lossAt) / 1000).toFixed(1)} s`;
      t.comment(`carrier-a's states since the loss began: ${(await hs.events()).filter((e) => e.carrier === 'carrier-a').map((e) => `${at(e.at)} ${e.from}→${e.to} (${e.reason})`).join('; ')}`);
    }
    const others = records(hs).filter((r) => r.outcome === 'answered' && r.attempts.at(-1)?.carrier !== 'carrier-a');
    const l = loss(others, 'fromCarrier');
    t.ok(l.ratio < 0.005, `calls on the other carriers unaffected: ${(l.ratio * 100).toFixed(2)} % loss over ${l.expected} packets`);
  });
});

t.test('every call end path releases its media: 1,000 calls, no port or stream left', async (t) => {
  await withMedia(async (hs) => {
    hs.sim.set('carrier-a', { mode: 'hangup', holdMs: 300 });          // carrier BYE
    hs.sim.set('carrier-b', { mode: 'reject', rejectCode: 503 });      // failed attempt → crankback
    hs.sim.set('carrier-c', { ringMs: 400 });                          // ringing: some callers CANCEL
    const caller = await ivr(hs);
    const results: IvrCallResult[] = [];
    for (let batch = 0; batch < 20; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) =>
        caller.call(i % 10 === 0 ? { to: '15550001', holdMs: 300, cancelAfterMs: 150 } : { to: '15550001', holdMs: 200 + (i % 3) * 100 })))));
    }
    await caller.stop();
    const by = (reason: string): number => results.filter((r) => r.endedBy === reason).length;
    t.comment(`end paths: ${JSON.stringify({ ivrBye: by('ivr-bye'), carrierBye: by('remote-bye'), cancelled: by('cancelled'), rejected: by('rejected'), timeout: by('timeout') })}`);
    t.equal(results.length, 1000);
    t.ok(by('ivr-bye') > 0 && by('remote-bye') > 0 && by('cancelled') > 0, 'caller BYE, carrier BYE and CANCEL all exercised');
    t.ok(records(hs).some((r) => r.attempts.length > 1), 'crankbacks exercised');
    let m = await mediaHealth(hs);
    for (let i = 0; i < 20 && (m.sessions > 0 || m.portsInUse > 0); i++) {
      await sleep(250);
      m = await mediaHealth(hs);
    }
    t.same(m, { sessions: 0, portsInUse: 0, tracked: 0 }, 'relay: no session, port or tracked stream left');
    t.equal(hs.sim.list().reduce((n, c) => n + c.stats.rtpPortsInUse, 0), 0, 'carriers: no RTP port left');
  }, { rtp: 'echo' });
});

t.test('rtpengine mode: a call through rtpengine has audio both ways and its stats in the CDR', async (t) => {
  await withMedia(async (hs) => {
    const caller = await ivr(hs);
    const r = await caller.call({ to: '15550001', holdMs: 4000 });
    await caller.stop();
    await sleep(500);
    t.equal(r.status, 200);
    t.ok(r.rtpSent > 150 && r.rtpReceived > 0.9 * r.rtpSent, `the IVR sent ${r.rtpSent} and heard ${r.rtpReceived} back through rtpengine (carrier echoes)`);
    const rec = records(hs).find((x) => x.callId === r.callId);
    t.equal(rec?.media?.mode, 'rtpengine');
    t.ok((rec?.media?.fromCaller?.received ?? 0) > 150, `CDR: ${rec?.media?.fromCaller?.received} packets from the caller`);
    t.ok((rec?.media?.fromCarrier?.received ?? 0) > 150, `CDR: ${rec?.media?.fromCarrier?.received} packets from the carrier`);
  }, { route: routeYaml('rtpengine'), rtp: 'echo' });
});

t.test('re-INVITE (hold) from the caller passes through the relay: SDP re-anchored, call completes, ports released', async (t) => {
  await withMedia(async (hs) => {
    const r = await runSipp({ scenario: SC('uac-reinvite.xml'), remote: `127.0.0.1:${hs.tw.sipPort}`, service: '15550001', calls: 5, rate: 5, timeoutMs: 60_000 });
    t.equal(r.failed, 0, 'no failed calls');
    if (r.failed > 0) t.comment(sippErrors(r.dir));
    t.equal(r.successful, 5, 'each call: INVITE, 200, re-INVITE (hold), 200, BYE');
    const metrics = (await hs.tw.admin('GET', '/metrics')).body as string;
    t.notMatch(metrics, /trunkwise_media_fallbacks_total\{[^}]*\} [1-9]/, 'no call fell back to direct media');
    await sleep(300);
    t.same(await mediaHealth(hs), { sessions: 0, portsInUse: 0, tracked: 0 }, 'relay ports released');
    t.equal(records(hs).filter((x) => x.media?.mode === 'relay').length, 5, 'relay media in every CDR');
  }, { rtp: 'echo' });
});
