/**
 * Scheduled drills (issue 13): due times, never two at once, skipped (and said why) while the edge
 * drains, while a local fault is suspected, while another drill runs, or when the registry refuses.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { DrillSchedule, nextDue } from '../../src/drills/schedule';
import type { ScheduledDrillConfig } from '../../src/config/drills';
import { parseEvery } from '../../src/config/drills';
import { createDrillScheduleMetrics } from '../../src/observability/metrics';
import { createLogger } from '../../src/observability/logger';

const DAY = 86_400_000;

t.test('nextDue: from the origin, or at HH:MM UTC plus whole periods', async (t) => {
  t.equal(nextDue({ everyMs: 10_000 }, 1000, 0), 10_000);
  t.equal(nextDue({ everyMs: 10_000 }, 10_000, 0), 20_000, 'strictly after now');
  const day = 20 * DAY;
  t.equal(nextDue({ everyMs: DAY, atMinute: 210 }, day + 60_000, 0), day + 210 * 60_000, '03:30 today when it is 00:01');
  t.equal(nextDue({ everyMs: DAY, atMinute: 210 }, day + 211 * 60_000, 0), day + DAY + 210 * 60_000, '03:30 tomorrow when it is 03:31');
  t.equal(nextDue({ everyMs: 6 * 3_600_000, atMinute: 30 }, day + 7 * 3_600_000, 0), day + 12 * 3_600_000 + 30 * 60_000, 'every 6 h from 00:30: 12:30 at 07:00');
  t.equal(parseEvery('90s'), 90_000);
  t.equal(parseEvery('7d'), 7 * DAY);
});

function rig(entries: ScheduledDrillConfig[]) {
  const state = { draining: false, localFault: false, running: undefined as number | undefined, refuse: undefined as string | undefined, next: 1, started: [] as string[] };
  const registry = new Registry();
  const metrics = createDrillScheduleMetrics(registry);
  const s = new DrillSchedule({
    entries: () => entries, draining: () => state.draining, localFault: () => state.localFault, running: () => state.running, metrics, logger: createLogger({ level: 'silent' }),
    start: (d) => {
      if (state.refuse) return { ok: false, error: state.refuse };
      state.started.push(d.name);
      state.running = state.next++;
      return { ok: true, id: state.running };
    },
  }, 0);
  return { s, state, registry };
}

const entry = (name: string, everyMs: number): ScheduledDrillConfig => ({ name, kind: 'drain-carrier', carrier: 'carrier-a', everyMs, windowMs: 2000 });

t.test('due drills start; two due at once → one starts, the other waits for it: never two at once', async (t) => {
  const { s, state, registry } = rig([entry('a', 10_000), entry('b', 10_000)]);
  s.tick(0);
  t.same(s.view().entries.map((e) => e.nextAt), [new Date(10_000).toISOString(), new Date(10_000).toISOString()]);
  s.tick(5000);
  t.same(state.started, [], 'nothing before it is due');
  s.tick(10_000);
  t.same(state.started, ['a'], 'a starts; b waits');
  s.tick(12_000);
  t.same(state.started, ['a'], 'b still waits while drill 1 runs');
  state.running = undefined;
  s.tick(13_000);
  t.same(state.started, ['a', 'b'], 'b starts once a ended');
  t.same(s.view().runs.map((r) => [r.name, r.result, r.drill, r.dueAt]), [['a', 'started', 1, new Date(10_000).toISOString()], ['b', 'started', 2, new Date(10_000).toISOString()]]);
  t.equal(s.view().entries[0]!.nextAt, new Date(20_000).toISOString(), 'planned for the next period');
  // b's drill never ends: a waits for it a whole period, then that period is skipped and said so.
  s.tick(20_000);
  s.tick(29_000);
  t.same(state.started, ['a', 'b']);
  s.tick(30_000);
  t.same(s.view().runs.filter((r) => r.name === 'a').at(-1), { name: 'a', dueAt: new Date(20_000).toISOString(), result: 'skipped', reason: 'drill 2 is still running' });
  const m = await registry.getSingleMetricAsString('trunkwise_drill_schedule_runs_total');
  t.match(m, /name="a",result="started"} 1/);
  t.match(m, /name="a",result="skipped"} 1/);
  t.match(m, /name="b",result="started"} 1/);
});

t.test('skipped while draining, under a local fault, or when the registry refuses — each says why', async (t) => {
  const { s, state } = rig([entry('a', 10_000)]);
  s.tick(0);
  state.draining = true;
  s.tick(10_000);
  state.draining = false;
  state.localFault = true;
  s.tick(20_000);
  state.localFault = false;
  state.refuse = 'carrier "carrier-a" is drained: a drill needs it in service';
  s.tick(30_000);
  state.refuse = undefined;
  s.tick(40_000);
  t.same(s.view().runs.map((r) => r.reason ?? `started ${r.drill}`), ['the edge is draining', 'a local fault is suspected: a drill now would prove nothing and could fail calls', 'carrier "carrier-a" is drained: a drill needs it in service', 'started 1']);
});

t.test('a changed entry is planned again; a removed one is forgotten', async (t) => {
  const list = [entry('a', 10_000)];
  const { s } = rig(list);
  s.tick(0);
  list[0] = entry('a', 60_000);
  s.tick(1000);
  t.equal(s.view().entries[0]!.nextAt, new Date(60_000).toISOString());
  list.pop();
  s.tick(2000);
  t.same(s.view().entries, []);
});
