/**
 * The state store's contract, run against both backends: memory (two "processes" sharing one
 * MemoryState) and a real redis-server (two connections). Then Redis's degraded mode: Redis killed
 * → the store says so and carries on with local caps; Redis back → it converges.
 */
import t from 'tap';
import { MemoryState, MemoryStore, RedisStore, type StampedObservation, type StateStore } from '../../src/state';
import { startRedis, type RedisServer } from '../helpers/redis';

const LEASE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, cond: () => Promise<boolean> | boolean): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
  return Date.now() - t0;
}

type Pair = { a: StateStore; b: StateStore; fresh(origin: string): StateStore };

function contract(name: string, open: () => Promise<Pair & { close(): Promise<void> }>): void {
  t.test(`${name}: the store contract`, async (t) => {
    const p = await open();
    t.teardown(() => p.close());
    const { a, b } = p;

    await t.test('maxConcurrent holds across processes; a release frees one slot', async (t) => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).acquire('c1', { maxConcurrent: 20 })));
      const ok = results.filter((r) => r.ok);
      t.equal(ok.length, 20, '20 of 30 simultaneous acquisitions succeed');
      t.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'max-concurrent'), 'the rest are refused as max-concurrent');
      t.equal(await a.inUse('c1'), 20);
      const first = ok[0]!;
      if (first.ok) await (first.lease.id.startsWith(a.origin) ? a : b).release(first.lease);
      t.equal(await b.inUse('c1'), 19);
      t.ok((await b.acquire('c1', { maxConcurrent: 20 })).ok, 'the freed slot is taken');
      t.notOk((await a.acquire('c1', { maxConcurrent: 20 })).ok, 'and then it is full again');
    });

    await t.test('maxCps holds across processes over a sliding second', async (t) => {
      const r = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acquire('c2', { maxCps: 5 })));
      t.equal(r.filter((x) => x.ok).length, 5);
      t.ok(r.some((x) => !x.ok && x.reason === 'max-cps'));
      await sleep(1050);
      t.ok((await a.acquire('c2', { maxCps: 5 })).ok, 'a second later starts are allowed again');
    });

    await t.test('leases: renewed while the process lives, freed within the lease after it dies', async (t) => {
      const c = p.fresh('crasher');
      for (let i = 0; i < 3; i++) t.ok((await c.acquire('c3', { maxConcurrent: 5 })).ok);
      await sleep(LEASE_MS * 2);
      t.equal(await a.inUse('c3'), 3, 'still held after two lease times (renewed)');
      await c.close(); // stops renewing, as a killed process would
      const ms = await until('leases expire', LEASE_MS * 3, async () => (await a.inUse('c3')) === 0);
      t.ok(ms <= LEASE_MS * 2, `freed ${ms} ms after the last renewal stopped (lease ${LEASE_MS} ms)`);
    });

    await t.test('observations reach the other processes of the site, not the sender', async (t) => {
      const gotA: StampedObservation[] = [];
      const gotB: StampedObservation[] = [];
      await a.onObservation('s1', (o) => gotA.push(o));
      await b.onObservation('s1', (o) => gotB.push(o));
      await b.onObservation('s2', (o) => gotB.push(o));
      a.observe('s1', { kind: 'attempt-start', carrier: 'c1', ref: 'r1', at: 1 });
      a.observe('s1', { kind: 'attempt-finished', carrier: 'c1', ref: 'r1', verdict: 'failure', at: 2 });
      await until('both observations arrive', 2000, () => gotB.length === 2);
      t.same(gotB.map((o) => [o.kind, o.origin]), [['attempt-start', a.origin], ['attempt-finished', a.origin]], 'in order, stamped with the sender');
      t.equal(gotA.length, 0, 'the sender does not hear itself');
    });

    await t.test('snapshot, sites, drains and events are shared', async (t) => {
      await a.publish({ site: 'east', leader: a.origin, at: 5, localFault: false, carriers: { c1: { state: 'down', score: 0.1, rampFactor: 0 } } });
      t.same((await b.snapshot('east'))?.carriers.c1, { state: 'down', score: 0.1, rampFactor: 0 });
      t.equal(await b.snapshot('west'), undefined);
      t.same(await b.sites(), ['east']);
      await a.setManual('c1', 'drained');
      t.same(await b.manual(), { c1: 'drained' });
      await b.setManual('c1', 'in-service');
      t.same(await a.manual(), {});
      for (let i = 0; i < 5; i++) await (i % 2 ? a : b).addEvent({ at: i, kind: 'state', carrier: 'c1', site: 'east' });
      t.same((await b.events(3)).map((e) => e.at), [2, 3, 4], 'newest last, limited');
    });

    await t.test('one leader per site; it renews; another takes over when it stops renewing or resigns', async (t) => {
      t.ok(await a.lead('east', 2000));
      t.notOk(await b.lead('east', 2000), 'the site has a leader');
      t.ok(await b.lead('west', 2000), 'sites elect separately');
      await sleep(1200);
      t.ok(await a.lead('east', 2000), 'renewed');
      await sleep(1200);
      t.notOk(await b.lead('east', 2000), 'still held after the first TTL thanks to the renewal');
      const ms = await until('lease lapses', 3000, () => b.lead('east', 2000));
      t.ok(ms <= 2000, `another process leads ${ms} ms later (TTL 2000 ms)`);
      await b.resign('east');
      t.ok(await a.lead('east', 2000), 'resigning frees it at once');
    });
  });
}

contract('memory', async () => {
  const state = new MemoryState();
  const made: StateStore[] = [];
  const mk = (origin: string): StateStore => {
    const s = new MemoryStore(state, { origin, leaseMs: LEASE_MS });
    made.push(s);
    return s;
  };
  return { a: mk('a'), b: mk('b'), fresh: mk, close: async () => void (await Promise.all(made.map((s) => s.close()))) };
});

let redis: RedisServer | undefined;
t.before(async () => {
  redis = await startRedis();
});
t.teardown(async () => void (await redis?.close()));

contract('redis', async () => {
  const made: RedisStore[] = [];
  const mk = (origin: string): StateStore => {
    const s = new RedisStore(redis!.url, { origin, leaseMs: LEASE_MS });
    made.push(s);
    return s;
  };
  const a = mk('a');
  const b = mk('b');
  await Promise.all(made.map((s) => s.ready(3000)));
  return { a, b, fresh: (o) => mk(o), close: async () => void (await Promise.all(made.map((s) => s.close()))) };
});

t.test('redis unreachable: local caps, no waiting; back: re-registers held calls', async (t) => {
  const a = new RedisStore(redis!.url, { origin: 'deg-a', leaseMs: LEASE_MS, prefix: 'deg:' });
  const b = new RedisStore(redis!.url, { origin: 'deg-b', leaseMs: LEASE_MS, prefix: 'deg:' });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  t.ok(await a.ready(3000));
  t.ok(await b.ready(3000));
  const flips: boolean[] = [];
  a.onStatus((s) => flips.push(s.reachable));
  for (let i = 0; i < 2; i++) t.ok((await a.acquire('c', { maxConcurrent: 3 })).ok);

  await redis!.stop();
  const noticed = await until('unreachable noticed', 2000, () => !a.status().reachable);
  t.ok(noticed < 1500, `unreachable noticed in ${noticed} ms`);
  const t0 = Date.now();
  const r = await a.acquire('c', { maxConcurrent: 3 });
  t.ok(r.ok, 'a call is still admitted under the local cap');
  t.notOk((await a.acquire('c', { maxConcurrent: 3 })).ok, 'the local cap counts this process\'s own calls (3)');
  t.ok((await b.acquire('c', { maxConcurrent: 3 })).ok, 'another process has its own local cap');
  t.ok(Date.now() - t0 < 100, 'no waiting on Redis per call');
  a.observe('s', { kind: 'probe-round', carrier: 'c', ok: true, at: 1 });
  t.equal(await a.snapshot('s'), undefined, 'no shared snapshot: callers use their local one');

  await redis!.restart();
  const back = await until('reachable again', 3000, () => a.status().reachable && b.status().reachable);
  t.ok(back < 2000, `reachable again ${back} ms after the restart`);
  await until('held calls re-registered', 2000, async () => (await a.inUse('c')) === 4);
  t.equal(await a.inUse('c'), 4, 'the restarted Redis counts every call still up (3 + 1)');
  t.notOk((await b.acquire('c', { maxConcurrent: 3 })).ok, 'and the shared cap applies again');
  t.same(flips, [false, true]);
});

t.test('redis-server stops and is gone', async (t) => {
  t.ok(await redis!.close(), 'no redis-server process left');
});
