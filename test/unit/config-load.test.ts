import t from 'tap';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { loadConfig, formatConfigErrors, configView, createConfigStore } from '../../src/config';
import type { TrunkwiseConfig } from '../../src/config';

const ROOT = join(__dirname, '..', '..');
const FIX = join(__dirname, '..', 'fixtures', 'config', 'valid');
const ENV = { TEST_ALPHA_USER: 'alice', TEST_ALPHA_PASS: 's3cr3t-pa55' };

function loadValid(env: Record<string, string> = ENV): TrunkwiseConfig {
  const r = loadConfig({ carriersFile: join(FIX, 'carriers.yaml'), routesDir: join(FIX, 'routes'), env, now: 1234 });
  if (!r.ok) throw new Error(formatConfigErrors(r.errors));
  return r.config;
}

t.test('the checked-in carriers.yaml and routes/ load', async (t) => {
  const r = loadConfig({ carriersFile: join(ROOT, 'carriers.yaml'), routesDir: join(ROOT, 'routes'), env: {} });
  if (!r.ok) t.fail(formatConfigErrors(r.errors));
  t.ok(r.ok);
  if (!r.ok) return;
  const c = r.config;
  t.same(c.carriers.map((x) => x.id), ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']);
  t.same(c.carriers.map((x) => x.uri), [1, 2, 3, 4, 5].map((n) => `sip:127.0.0.1:507${n};transport=udp`));
  t.same(c.carriers.map((x) => x.weight), [30, 25, 20, 15, 10]);
  t.equal(c.routeTable.defaultRoute.id, 'default');
  t.equal(c.routes.filter((x) => x.default).length, 1);
});

t.test('the valid fixture: defaults, URI parsing, pool resolution, evaluation order', async (t) => {
  const c = loadValid();
  const alpha = c.carrierById.alpha!;
  t.same(alpha.target, { scheme: 'sip', host: '127.0.0.1', port: 5071, transport: 'udp' });
  t.equal(alpha.maxCps, 40, 'maxCps from defaults:');
  t.equal(alpha.maxConcurrent, 10);
  t.same(alpha.probe, { enabled: true, intervalMs: 4000, timeoutMs: 1000, burst: 2, aliveCodes: [200, 405] });
  t.same(c.carrierById.bravo!.target, { scheme: 'sip', host: '::1', port: 5072, transport: 'tcp' });
  t.same(c.carrierById.bravo!.rewrite, { stripDigits: 1, addPrefix: '00' });
  t.same(c.carrierById.charlie!.target, { scheme: 'sip', host: 'trunk.example.net', port: 5060, transport: 'udp' }, 'default port, transport case-insensitive');
  t.equal(c.carrierById.charlie!.probe.enabled, false, 'per-carrier probe key overrides defaults');
  t.equal(c.carrierById.charlie!.probe.intervalMs, 4000, '...and the rest still comes from defaults');
  t.equal(c.carrierById.echo!.enabled, false);
  t.equal(c.loadedAt, 1234);

  t.same(c.routes.map((r) => `${r.rank}:${r.id}`), ['0:emergency', '1:uk', '2:uk-mobile', '3:from-lab', '4:default'],
    'order 10 first, then file name, then position; default last');
  const uk = c.routes.find((r) => r.id === 'uk')!;
  t.same(uk.carriers.map((p) => [p.id, p.weight, p.order, p.carrierIndex]), [['alpha', 50, 0, 0], ['bravo', 25, 1, 1]], 'route weight overrides carrier weight');
  t.equal(uk.strategy, 'health-weighted');
  t.equal(uk.maxAttempts, 2, 'maxAttempts defaults to the pool size');
  t.same(uk.timers, { attemptNoProvisionalMs: 2000, attemptNoAnswerMs: 60000, setupDeadlineMs: 15000 });
  t.same(uk.retry, { retryOn: ['timeout', '408', '5xx', '6xx', 'transport'], neverRetry: [486, 603] });
  t.equal(uk.media, 'relay');
  const ukm = c.routes.find((r) => r.id === 'uk-mobile')!;
  t.same(ukm.retry.neverRetry, [404, 486, 603], '486 and 603 are always in neverRetry');
  const em = c.routes.find((r) => r.id === 'emergency')!;
  t.same(em.match.priority, { header: 'Priority', values: ['emergency', 'urgent'] });
  t.equal(em.timers.setupDeadlineMs, 20000);
  t.equal(em.timers.attemptNoProvisionalMs, 2000, 'partial timers merge with defaults');
  const lab = c.routes.find((r) => r.id === 'from-lab')!;
  t.same(lab.sourceCidrs.map((x) => x.text), ['10.1.0.0/16', '2001:db8::/32']);
  t.same(lab.sourceNames, ['ivr-lab']);
  t.equal(lab.media, 'direct');
});

t.test('the config is deep-frozen', async (t) => {
  const c = loadValid();
  t.ok(Object.isFrozen(c));
  t.ok(Object.isFrozen(c.carriers));
  t.ok(Object.isFrozen(c.carriers[0]!.probe.aliveCodes));
  t.ok(Object.isFrozen(c.routes[1]!.match.prefixes));
  t.ok(Object.isFrozen(c.routeTable.prefixTrie.children['+']!));
  t.throws(() => {
    (c.carriers[0] as { weight: number }).weight = 99;
  }, TypeError);
  t.throws(() => {
    (c.routes[0]!.carriers as unknown as unknown[]).push({});
  }, TypeError);
  // A frozen non-global regex still works (it never writes lastIndex).
  const lab = c.routes.find((r) => r.id === 'from-lab')!;
  t.ok(Object.isFrozen(lab.regex));
  t.ok(lab.regex!.test('+12025550123'));
  t.ok(lab.regex!.test('+12025550123'));
});

t.test('credentials are resolved from env and never printed', async (t) => {
  const c = loadValid();
  t.same(c.credentials.get('alpha'), { username: 'alice', password: 's3cr3t-pa55', realm: 'alpha.example' });
  t.equal(c.credentials.get('bravo'), undefined);
  t.same(c.carrierById.alpha!.auth, { usernameEnv: 'TEST_ALPHA_USER', passwordEnv: 'TEST_ALPHA_PASS', realm: 'alpha.example' }, 'the config keeps names only');
  const printed = [JSON.stringify(c), inspect(c, { depth: 20 }), JSON.stringify(configView(c)), String(c.credentials)];
  for (const p of printed) t.notMatch(p, /s3cr3t-pa55/, 'password absent');
  t.notMatch(JSON.stringify(c), /"alice"/, 'username absent from JSON');
  t.same(JSON.parse(JSON.stringify(c.credentials)), { carriersWithCredentials: ['alpha'], values: '[redacted]' });
  t.equal(configView(c).carriers[0]!.auth?.resolved, true);
});

t.test('missing credential env var is an error naming the variable', async (t) => {
  const r = loadConfig({ carriersFile: join(FIX, 'carriers.yaml'), routesDir: join(FIX, 'routes'), env: { TEST_ALPHA_USER: 'alice' } });
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 1);
  const e = r.errors[0]!;
  t.match(e, { file: join(FIX, 'carriers.yaml'), path: 'carriers[0].auth.passwordEnv', line: 12 });
  t.match(e.message, /TEST_ALPHA_PASS/);
  t.match(e.fix, /export TEST_ALPHA_PASS=/);
  t.notMatch(JSON.stringify(r.errors), /alice/, 'no values in errors');
});

t.test('config store: a failed reload keeps the running config, a good one swaps it whole', async (t) => {
  const first = loadValid();
  const store = createConfigStore(first);
  const bad = store.reload({ carriersFile: join(FIX, 'carriers.yaml'), routesDir: join(FIX, 'routes'), env: {} });
  t.notOk(bad.ok);
  t.equal(store.current(), first);
  const good = store.reload({ carriersFile: join(FIX, 'carriers.yaml'), routesDir: join(FIX, 'routes'), env: ENV });
  t.ok(good.ok);
  t.not(store.current(), first);
  t.equal(store.current().routes.length, first.routes.length);
});
