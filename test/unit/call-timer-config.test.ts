/**
 * The adaptive no-provisional timer's route settings (routes/*.yaml timers:): loaded when given,
 * absent otherwise (the call layer's defaults apply), and an impossible floor is an error naming
 * the file, the path and the fix.
 */
import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigError, type TrunkwiseConfig } from '../../src/config';

const CARRIERS = 'carriers:\n  - id: a\n    uri: sip:127.0.0.1:5071;transport=udp\n    weight: 10\n';
const route = (timers: string): string => `routes:\n  - id: default\n    default: true\n    carriers: [{ id: a }]\n    timers: ${timers}\n`;

function load(t: { teardown(fn: () => void): void }, timers: string): { ok: true; config: TrunkwiseConfig } | { ok: false; errors: ConfigError[]; file: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'tw-timer-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'routes'));
  writeFileSync(join(dir, 'carriers.yaml'), CARRIERS);
  const file = join(dir, 'routes', '99-default.yaml');
  writeFileSync(file, route(timers));
  const r = loadConfig({ carriersFile: join(dir, 'carriers.yaml'), routesDir: join(dir, 'routes'), env: {} });
  return r.ok ? { ok: true, config: r.config } : { ok: false, errors: r.errors, file };
}

t.test('floor and RTT factor are loaded when given, absent otherwise', async (t) => {
  const given = load(t, '{ attemptNoProvisionalMs: 2000, attemptNoProvisionalFloorMs: 300, attemptNoProvisionalRttFactor: 3 }');
  t.ok(given.ok);
  if (given.ok) t.match(given.config.routes[0]!.timers, { attemptNoProvisionalMs: 2000, attemptNoProvisionalFloorMs: 300, attemptNoProvisionalRttFactor: 3 });
  const plain = load(t, '{ attemptNoProvisionalMs: 2000 }');
  t.ok(plain.ok);
  if (plain.ok) t.notOk('attemptNoProvisionalFloorMs' in plain.config.routes[0]!.timers, 'no floor in the config: the call layer default (400 ms) applies');
});

t.test('a floor above the maximum is refused with file, path and fix', async (t) => {
  const r = load(t, '{ attemptNoProvisionalMs: 1000, attemptNoProvisionalFloorMs: 1500 }');
  t.notOk(r.ok);
  if (r.ok) return;
  t.match(r.errors, [{ file: r.file, path: 'routes[0].timers.attemptNoProvisionalFloorMs', message: /floor is above its maximum/, fix: /≤ attemptNoProvisionalMs/ }]);
});

t.test('an RTT factor out of range is refused by the schema', async (t) => {
  const r = load(t, '{ attemptNoProvisionalRttFactor: 0.5 }');
  t.notOk(r.ok);
  if (!r.ok) t.match(r.errors, [{ path: 'routes[0].timers.attemptNoProvisionalRttFactor', fix: /round trips/ }]);
});
