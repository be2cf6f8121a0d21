/** carriers.yaml `drills:` (issue 13, scheduled drills): parsed, and each mistake named with file, path and fix. */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROUTES = path.join(__dirname, '..', 'fixtures', 'config', 'valid', 'routes');
const CARRIERS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].flatMap((id, i) => [`  - id: ${id}`, `    uri: sip:127.0.0.1:${5071 + i};transport=udp`, '    weight: 20']);

function load(t: Test, drills: string[], peers: string[] = []): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'carriers.yaml');
  writeFileSync(file, ['drills:', ...drills, ...(peers.length > 0 ? ['peers:', ...peers] : []), 'carriers:', ...CARRIERS, ''].join('\n'));
  return loadConfig({ carriersFile: file, routesDir: ROUTES, env: {} });
}

t.test('a valid schedule', async (t) => {
  const r = load(t, [
    '  - { name: weekly-a, kind: drain-carrier, carrier: alpha, every: 7d, at: "03:30", windowS: 20, testCalls: { to: "+15550199", perWindow: 3 } }',
    '  - { name: hourly-b, kind: drain-carrier, carrier: bravo, every: 1h }',
  ]);
  t.ok(r.ok, r.ok ? 'loads' : JSON.stringify(r.errors));
  if (!r.ok) return;
  t.same(r.config.drills, [
    { name: 'weekly-a', kind: 'drain-carrier', carrier: 'alpha', everyMs: 7 * 86_400_000, windowMs: 20_000, atMinute: 210, testCalls: { to: '+15550199', perWindow: 3 } },
    { name: 'hourly-b', kind: 'drain-carrier', carrier: 'bravo', everyMs: 3_600_000, windowMs: 10_000 },
  ]);
});

t.test('no drills: an empty schedule', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'c.yaml'), ['carriers:', ...CARRIERS, ''].join('\n'));
  const r = loadConfig({ carriersFile: path.join(dir, 'c.yaml'), routesDir: ROUTES, env: {} });
  t.ok(r.ok && r.config.drills.length === 0);
});

t.test('schema mistakes', async (t) => {
  const r = load(t, [
    '  - { name: a, kind: evacuate, every: 1h }',
    '  - { name: b, kind: drain-carrier, carrier: alpha, every: "1 week" }',
    '  - { name: c, kind: drain-carrier, carrier: alpha, every: 1h, at: "25:00" }',
  ]);
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors.map((e) => e.path).sort(), ['drills[0].kind', 'drills[1].every', 'drills[2].at']);
  for (const e of r.errors) t.ok(e.file.endsWith('carriers.yaml') && e.fix.length > 5, `${e.path}: ${e.message} — ${e.fix}`);
});

t.test('checks past the schema: unknown carrier, duplicate name, period shorter than the drill', async (t) => {
  const r = load(t, [
    '  - { name: a, kind: drain-carrier, carrier: zulu, every: 1h }',
    '  - { name: a, kind: drain-carrier, carrier: alpha, every: 30s, windowS: 10 }',
  ]);
  t.notOk(r.ok);
  if (r.ok) return;
  const by = new Map(r.errors.map((e) => [e.path, e]));
  t.same([...by.keys()].sort(), ['drills[0].carrier', 'drills[1].every', 'drills[1].name']);
  t.match(by.get('drills[0].carrier')!.fix, /alpha, bravo/);
  t.match(by.get('drills[1].every')!.fix, /at least 40s/);
});

t.test('site drills on a schedule: drain-site and failover-site need no carrier; failover-site needs peers', async (t) => {
  const PEER = ['  - { id: site-b, uri: "sip:127.0.0.2:5060;transport=udp" }'];
  const ok = load(t, [
    '  - { name: monthly-dr, kind: failover-site, every: 30d, at: "02:00", windowS: 30, testCalls: { to: "+15550199", perWindow: 2 } }',
    '  - { name: weekly-drain, kind: drain-site, every: 7d }',
  ], PEER);
  t.ok(ok.ok, ok.ok ? 'loads' : JSON.stringify(ok.errors));
  if (ok.ok) {
    t.same(ok.config.drills, [
      { name: 'monthly-dr', kind: 'failover-site', everyMs: 30 * 86_400_000, windowMs: 30_000, atMinute: 120, testCalls: { to: '+15550199', perWindow: 2 } },
      { name: 'weekly-drain', kind: 'drain-site', everyMs: 7 * 86_400_000, windowMs: 10_000 },
    ]);
  }
  const bad = load(t, [
    '  - { name: a, kind: failover-site, every: 7d }',
    '  - { name: b, kind: drain-site, carrier: alpha, every: 7d }',
    '  - { name: c, kind: drain-carrier, every: 7d }',
  ]);
  t.notOk(bad.ok);
  if (bad.ok) return;
  const by = new Map(bad.errors.map((e) => [e.path, e]));
  t.same([...by.keys()].sort(), ['drills[0].kind', 'drills[1].carrier', 'drills[2]'], JSON.stringify(bad.errors));
  t.match(by.get('drills[0].kind')!.message, /no peers:/);
  t.match(by.get('drills[1].carrier')!.fix, /remove carrier/);
  t.match(by.get('drills[2]')!.fix, /add carrier: with an id from carriers: alpha/);
});
