/**
 * carriers.yaml `mediaProbe:` (issue 13, synthetic media probes): off unless present, defaults
 * applied, and every mistake reported with file, path and fix.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROUTES = path.join(__dirname, '..', 'fixtures', 'config', 'valid', 'routes');

function load(t: Test, carriers: string[]): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'carriers.yaml');
  writeFileSync(file, ['carriers:', ...carriers, ''].join('\n'));
  return loadConfig({ carriersFile: file, routesDir: ROUTES, env: {} });
}

const carrier = (id: string, extra = ''): string[] => [`  - id: ${id}`, `    uri: sip:127.0.0.1:5071;transport=udp`, '    weight: 30', ...(extra ? [`    ${extra}`] : [])];

t.test('absent: no probes; present: defaults filled in', async (t) => {
  const r = load(t, [...carrier('alpha'), ...carrier('bravo', 'mediaProbe: { testNumber: "+15550199" }'), ...['charlie', 'delta', 'echo'].flatMap((id) => carrier(id))]);
  t.ok(r.ok, r.ok ? 'loads' : JSON.stringify(r.errors));
  if (!r.ok) return;
  t.equal(r.config.carrierById.alpha!.mediaProbe, undefined, 'off by default');
  t.same(r.config.carrierById.bravo!.mediaProbe, { testNumber: '+15550199', intervalMs: 60_000, durationMs: 5000, setupTimeoutMs: 5000, maxConcurrent: 1 });
});

t.test('mistakes name file, path and fix', async (t) => {
  const r = load(t, [
    ...carrier('carrier-a', 'mediaProbe: { testNumber: "echo please" }'),
    ...carrier('carrier-b', 'mediaProbe: { intervalMs: 10000 }'),
    ...carrier('carrier-c', 'mediaProbe: { testNumber: "1555", maxConcurrent: 9 }'),
  ]);
  t.notOk(r.ok);
  if (r.ok) return;
  const byPath = new Map(r.errors.map((e) => [e.path, e]));
  t.same([...byPath.keys()].sort(), ['carriers[0].mediaProbe.testNumber', 'carriers[1].mediaProbe', 'carriers[2].mediaProbe.maxConcurrent'], JSON.stringify(r.errors.map((e) => e.path)));
  for (const e of r.errors) {
    t.match(e.file, /carriers\.yaml$/, `${e.path}: names the file`);
    t.ok(e.fix.length > 10, `${e.path}: says how to fix it (${e.fix})`);
  }
  t.match(byPath.get('carriers[1].mediaProbe')!.message, /testNumber/);
});

t.test('a probe call that could outlast the interval is refused', async (t) => {
  const r = load(t, carrier('carrier-c', 'mediaProbe: { testNumber: "1555", intervalMs: 6000, durationMs: 5000, setupTimeoutMs: 2000 }'));
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors.map((e) => e.path), ['carriers[0].mediaProbe.intervalMs']);
  t.match(r.errors[0]!.message, /probes would be skipped/);
  t.match(r.errors[0]!.fix, /raise mediaProbe\.intervalMs/);
});

t.test('a probe call too short to keep mediaLoss scored for degradeAfter evaluations is refused', async (t) => {
  // Defaults: mediaWindowMs 10 s, mediaMinPackets 250 (5 s of 20 ms packets), degradeAfter 3, evaluateMs 1 s:
  // a 3 s probe is scored 3 + 10 − 2 × 5 = 3 s, short of the 4 s that three evaluations in a row need.
  const five = (probe: string): string[] => ['alpha', 'bravo', 'charlie', 'delta', 'echo'].flatMap((id) => carrier(id, id === 'bravo' ? probe : ''));
  const short = load(t, five('mediaProbe: { testNumber: "1555", durationMs: 3000 }'));
  t.notOk(short.ok);
  if (short.ok) return;
  t.same(short.errors.map((e) => e.path), ['carriers[1].mediaProbe.durationMs']);
  t.match(short.errors[0]!.message, /scored for 3000 ms .* less than the 4000 ms/);
  t.match(short.errors[0]!.fix, /by 1000 ms/);
  t.equal(short.errors[0]!.line, 8, 'the line of bravo\'s mediaProbe');
  const fits = load(t, five('mediaProbe: { testNumber: "1555", durationMs: 4000 }'));
  t.ok(fits.ok, fits.ok ? 'a 4 s probe fits exactly' : JSON.stringify(fits.errors));
});
