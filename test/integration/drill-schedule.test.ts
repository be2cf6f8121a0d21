/**
 * Issue 13, a schedule for drills: carriers.yaml `drills:` with a short period; the edge runs
 * "drain carrier-a" by itself when due (with its own test calls), GET /drills lists the entry, its
 * next run and the past run, the drill ends with carrier-a back in service, and the metrics count it.
 * A drain-site entry drains the site by itself when due: the IVR's OPTIONS get 503 meanwhile, 200 after.
 * (Skips — draining, local fault, another drill running, a refusal — are unit-tested in
 * test/unit/drill-schedule.test.ts with a clock the test controls.)
 */
import t from 'tap';
import { startSimulator, type Simulator } from '../../src/sim';
import { startTrunkwise, type Trunkwise } from '../helpers/trunkwise-process';
import { IDS, PROBE, routeYaml, TEST_HEALTH } from '../helpers/health-system';
import type { DrillRecord } from '../../src/drills/registry';
import type { ScheduledRun } from '../../src/drills/schedule';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const EVERY_S = 10;
// The drills: block goes after the health: block (top-level keys of carriers.yaml).
// The site drill is listed first: at +30 s both are due, and the first listed starts (the other waits for it).
const SITE_EVERY_S = 30;
const HEALTH = `${TEST_HEALTH}\ndrills:\n  - { name: weekly-drain-site, kind: drain-site, every: "${SITE_EVERY_S}s", windowS: 2 }\n  - { name: nightly-drain-a, kind: drain-carrier, carrier: carrier-a, every: "${EVERY_S}s", windowS: 2, testCalls: { to: "15550001", perWindow: 8 } }`;

interface DrillsBody {
  running: number | null;
  drills: DrillRecord[];
  schedule: { entries: Array<{ name: string; carrier: string; everyMs: number; nextAt: string | null }>; runs: ScheduledRun[] };
}

let sim: Simulator;
let tw: Trunkwise;
t.before(async () => {
  sim = await startSimulator({ carriers: IDS.map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const })), seed: 5 });
  // carrier-a takes most calls, so the drill's own 8 test calls per window show its share moving (a quiet edge otherwise).
  tw = await startTrunkwise({ carriers: IDS.map((id) => ({ id, port: sim.get(id).port, weight: id === 'carrier-a' ? 200 : 10, probe: PROBE })), routes: { '99-default.yaml': routeYaml('direct') }, health: HEALTH });
});
t.teardown(async () => {
  await tw?.stop();
  await sim?.stop();
});

const drills = async (): Promise<DrillsBody> => (await tw.admin('GET', '/drills')).body as DrillsBody;

t.test('a scheduled drill runs by itself when due, shows in GET /drills and the metrics, and restores its carrier', async (t) => {
  const first = await drills();
  t.same(first.schedule.entries.map((e) => [e.name, e.carrier, e.everyMs]), [['weekly-drain-site', undefined, SITE_EVERY_S * 1000], ['nightly-drain-a', 'carrier-a', EVERY_S * 1000]], 'the entries are listed');
  const nextAt = Date.parse(first.schedule.entries[1]!.nextAt!);
  t.ok(nextAt > Date.now() && nextAt <= Date.now() + EVERY_S * 1000, `next run planned within one period: ${first.schedule.entries[1]!.nextAt}`);
  t.same(first.drills, [], 'no drill yet');
  let started: DrillRecord | undefined;
  for (const end = Date.now() + (EVERY_S + 5) * 1000; !started && Date.now() < end; await sleep(200)) started = (await drills()).drills[0];
  t.ok(started, 'the drill started by itself');
  t.equal(started?.scheduled, 'nightly-drain-a', 'started by the schedule entry');
  t.ok(started && Math.abs(Date.parse(started.startedAt) - nextAt) < 1500, `at its due time (due ${new Date(nextAt).toISOString()}, started ${started?.startedAt})`);
  let done: DrillRecord | undefined;
  for (const end = Date.now() + 20_000; !done && Date.now() < end; await sleep(250)) done = (await drills()).drills.find((d) => d.id === started?.id && d.status !== 'running');
  t.equal(done?.status, 'passed', `the drill ended and passed: ${done?.report?.verdict}`);
  t.equal(done?.report?.callsFailed, 0, '0 calls failed');
  t.equal(done?.report?.testCalls?.during.failed, 0, 'its test calls all answered while carrier-a was drained');
  const carriers = (await tw.admin('GET', '/carriers')).body as { carriers: Array<{ id: string; manual: string }> };
  t.equal(carriers.carriers.find((c) => c.id === 'carrier-a')?.manual, 'in-service', 'carrier-a restored');
  const after = await drills();
  t.same(after.schedule.runs.map((r) => [r.name, r.result, r.drill]), [['nightly-drain-a', 'started', started?.id]], 'the past run, with the drill it started');
  t.ok(Date.parse(after.schedule.entries[1]!.nextAt!) > nextAt, 'the next run is planned');
  const metrics = String((await tw.admin('GET', '/metrics')).body);
  t.match(metrics, /trunkwise_drill_schedule_runs_total\{name="nightly-drain-a",result="started"\} 1/);
  t.match(metrics, /trunkwise_drill_schedule_next_run_timestamp_seconds\{name="nightly-drain-a"\} \d+/);
  t.match(metrics, /trunkwise_drill_runs_total\{scenario="drain-carrier",result="passed"\} 1/);
});

t.test('a scheduled drain-site drill drains the site by itself: the IVR is told 503 meanwhile and 200 after', async (t) => {
  let started: DrillRecord | undefined;
  for (const end = Date.now() + (SITE_EVERY_S + 5) * 1000; !started && Date.now() < end; await sleep(200)) started = (await drills()).drills.find((d) => d.scheduled === 'weekly-drain-site');
  t.ok(started, 'the site drill started by itself');
  t.equal(started?.scenario, 'drain-site');
  let done: DrillRecord | undefined;
  for (const end = Date.now() + 20_000; !done && Date.now() < end; await sleep(250)) done = (await drills()).drills.find((d) => d.id === started?.id && d.status !== 'running');
  t.equal(done?.status, 'passed', `the drill ended and passed: ${done?.report?.verdict}`);
  const upstream = done?.report && 'upstream' in done.report ? done.report.upstream : undefined;
  t.same(upstream?.during, [503], 'the IVR\'s OPTIONS got 503 at every step of the drained window');
  t.same(upstream?.after, [200], 'and 200 once restored');
  const runs = (await drills()).schedule.runs.filter((r) => r.name === 'weekly-drain-site');
  t.same(runs.map((r) => [r.result, r.drill]), [['started', started?.id]], 'the schedule lists the run with its drill');
  t.match(String((await tw.admin('GET', '/metrics')).body), /trunkwise_drill_runs_total\{scenario="drain-site",result="passed"\} 1/);
});
