/**
 * The drain sequence (src/admin/drain.ts) on its own: health frozen at once, a visible line with the
 * number of calls, calls allowed to finish, BYE on both legs at the limit, a repeated Ctrl-C within
 * a second ignored (the terminal and the start script both deliver it) and a later one obeyed.
 */
import t from 'tap';
import pino from 'pino';
import { createDrain, SetupTracker, type DrainDeps } from '../../src/admin/drain';

function deps(calls: { n: number }, over: Partial<DrainDeps> = {}): DrainDeps & { said: string[]; events: string[] } {
  const said: string[] = [];
  const events: string[] = [];
  return {
    said, events, logger: pino({ level: 'silent' }), say: (l) => void said.push(l),
    freezeHealth: () => void events.push('freeze'), activeCalls: () => calls.n,
    hangupAll: () => { events.push('hangup'); const n = calls.n; calls.n = 0; return n; },
    close: async () => void events.push('close'), limitMs: 800, ...over,
  };
}

t.test('calls that end by themselves: no BYE from us', async (t) => {
  const calls = { n: 2 };
  const d = deps(calls);
  const drain = createDrain(d);
  drain.signal('SIGTERM');
  t.same(d.events, ['freeze'], 'health frozen at once');
  t.match(d.said[0], /SIGTERM: draining 2 calls, up to 1 s/);
  setTimeout(() => (calls.n = 0), 200);
  const started = Date.now();
  await drain.done;
  t.ok(Date.now() - started < 800, 'stopped before the limit');
  t.same(d.events, ['freeze', 'close'], 'closed without hanging up');
});

t.test('calls still up at the limit get BYE, then close', async (t) => {
  const calls = { n: 3 };
  const d = deps(calls);
  const drain = createDrain(d);
  const started = Date.now();
  drain.signal('SIGINT');
  await drain.done;
  t.ok(Date.now() - started >= 800, 'waited for the limit');
  t.same(d.events, ['freeze', 'hangup', 'close']);
  t.match(d.said.join('\n'), /drain limit of 1 s reached: BYE to both legs of 3 calls still up/);
});

t.test('a second signal within a second is the same Ctrl-C; a later one ends the calls now', async (t) => {
  const calls = { n: 1 };
  const d = deps(calls, { limitMs: 60_000 });
  const drain = createDrain(d);
  drain.signal('SIGINT');
  drain.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 400));
  t.same(d.events, ['freeze'], 'the duplicate changed nothing');
  await new Promise((r) => setTimeout(r, 700));
  const asked = Date.now();
  drain.signal('SIGINT');
  await drain.done;
  t.ok(Date.now() - asked < 1000, 'ended promptly');
  t.same(d.events, ['freeze', 'hangup', 'close']);
  t.match(d.said.join('\n'), /asked again: BYE to both legs of 1 call still up/);
});

t.test('setup tracker: counts responses without a final, stays bounded', async (t) => {
  const s = new SetupTracker();
  const rs = Array.from({ length: 3000 }, () => ({ finalResponseSent: false }));
  for (const r of rs.slice(0, 10)) s.add(r);
  t.equal(s.count(), 10);
  rs[0]!.finalResponseSent = true;
  t.equal(s.count(), 9);
  for (const r of rs.slice(10)) { r.finalResponseSent = true; s.add(r); }
  t.equal(s.count(), 9, 'answered calls drop out');
});
