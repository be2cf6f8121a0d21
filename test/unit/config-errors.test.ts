/**
 * Every class of configuration error names the file, the path inside it, and a fix; YAML syntax
 * errors name the line. Each case under test/fixtures/config/invalid/<case>/ replaces either
 * carriers.yaml or routes/ of the valid fixture.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, formatConfigErrors, parseTrunkUri } from '../../src/config';
import type { ConfigError } from '../../src/config';

const BASE = join(__dirname, '..', 'fixtures', 'config');
const ENV = { TEST_ALPHA_USER: 'alice', TEST_ALPHA_PASS: 'pw' };

function errorsFor(name: string): { errors: ConfigError[]; carriersFile: string; routesDir: string } {
  const dir = join(BASE, 'invalid', name);
  const carriersFile = existsSync(join(dir, 'carriers.yaml')) ? join(dir, 'carriers.yaml') : join(BASE, 'valid', 'carriers.yaml');
  const routesDir = existsSync(join(dir, 'routes')) ? join(dir, 'routes') : join(BASE, 'valid', 'routes');
  const r = loadConfig({ carriersFile, routesDir, env: ENV });
  if (r.ok) throw new Error(`${name}: expected errors`);
  for (const e of r.errors) {
    if (!e.file || !e.fix || !e.message) throw new Error(`${name}: incomplete error ${JSON.stringify(e)}`);
  }
  return { errors: r.errors, carriersFile, routesDir };
}

t.test('YAML syntax error: file and line', async (t) => {
  const { errors, carriersFile } = errorsFor('yaml-syntax');
  t.ok(errors.length >= 1);
  t.match(errors[0], { file: carriersFile, path: '', line: 5, message: /YAML syntax/ });
  t.match(errors[0]!.fix, /indentation/);
});

t.test('bad transport: carriers[2].uri, "expected one of udp|tcp"', async (t) => {
  const { errors, carriersFile } = errorsFor('bad-transport');
  t.same(errors, [{ file: carriersFile, path: 'carriers[2].uri', line: 9, message: 'transport "tls" is not supported', fix: 'expected one of udp|tcp' }]);
});

t.test('unknown key: path to the key, fix lists allowed keys', async (t) => {
  const { errors, carriersFile } = errorsFor('unknown-key');
  t.equal(errors.length, 1);
  t.match(errors[0], { file: carriersFile, path: 'carriers[1].wieght', line: 7, message: 'unknown key "wieght"' });
  t.match(errors[0]!.fix, /weight/);
});

t.test('inline password is refused with a message saying to use an env var', async (t) => {
  const { errors, carriersFile } = errorsFor('inline-password');
  const e = errors.find((x) => x.path === 'carriers[0].auth.password');
  t.ok(e, formatConfigErrors(errors));
  t.equal(e?.file, carriersFile);
  t.match(e?.message, /inline credential "password" is not allowed/);
  t.match(e?.fix, /environment variable/);
  t.match(e?.fix, /passwordEnv/);
  t.notMatch(JSON.stringify(errors), /hunter2/, 'the inline value is not echoed');
});

t.test('duplicate carrier ids', async (t) => {
  const { errors } = errorsFor('duplicate-carrier');
  t.match(errors, [{ path: 'carriers[4].id', line: 14, message: /duplicate carrier id "alpha".*carriers\[0\]/ }]);
});

t.test('wrong type and missing required key', async (t) => {
  const { errors } = errorsFor('wrong-types');
  t.match(errors, [
    { path: 'carriers[0].weight', line: 4, message: 'expected number', fix: /weight/ },
    { path: 'carriers[1]', message: 'missing required key "uri"', fix: /add "uri:"/ },
  ]);
});

t.test('semantic carrier checks: probe timing, sips, not a SIP URI, no weight', async (t) => {
  const { errors } = errorsFor('bad-probe');
  t.match(errors, [
    { path: 'carriers[1].probe.timeoutMs', message: /must be less than intervalMs/ },
    { path: 'carriers[2].uri', message: /sips: \(TLS\) is not supported/ },
    { path: 'carriers[3].uri', message: /is not a SIP URI/, fix: /sip:/ },
    { path: 'carriers[3]', message: /has no weight/ },
  ]);
});

t.test('empty file', async (t) => {
  const { errors } = errorsFor('empty');
  t.match(errors, [{ path: '', message: 'file is empty', fix: /carriers:/ }]);
});

t.test('route names an unknown carrier', async (t) => {
  const { errors, routesDir } = errorsFor('unknown-carrier');
  t.same(errors, [{
    file: join(routesDir, '99-default.yaml'), path: 'routes[0].carriers[1].id', line: 4,
    message: 'unknown carrier "zulu"', fix: 'use an id from carriers.yaml: alpha, bravo, charlie, delta, echo',
  }]);
});

t.test('duplicate route ids across files', async (t) => {
  const { errors, routesDir } = errorsFor('duplicate-route');
  t.match(errors, [{ file: join(routesDir, '20-b.yaml'), path: 'routes[1].id', line: 4, message: /duplicate route id "uk".*10-a\.yaml routes\[0\]/ }]);
});

t.test('no default route', async (t) => {
  const { errors, routesDir } = errorsFor('no-default');
  t.match(errors, [{ file: routesDir, path: '', message: /no default route/, fix: /default: true/ }]);
});

t.test('two default routes (an explicit one and a match-all one)', async (t) => {
  const { errors, routesDir } = errorsFor('two-defaults');
  t.match(errors, [{ file: join(routesDir, '99-default.yaml'), path: 'routes[0]', message: /second default route "default".*"catch-all"/ }]);
});

t.test('bad regex', async (t) => {
  const { errors } = errorsFor('bad-regex');
  t.match(errors, [{ path: 'routes[1].match.pattern', line: 6, message: /invalid regular expression/ }]);
});

t.test('bad CIDRs: invalid address, host bits set', async (t) => {
  const { errors } = errorsFor('bad-cidr');
  t.match(errors, [
    { path: 'routes[1].match.sources[1]', message: /"10\.300\.0\.0" is not an IPv4 or IPv6 address/, fix: /CIDR/ },
    { path: 'routes[1].match.sources[2]', message: /host bits are set: did you mean 2001:db8::\/32\?/ },
  ]);
});

t.test('enum and pattern violations say what is expected', async (t) => {
  const { errors } = errorsFor('bad-values');
  t.match(errors, [
    { path: 'routes[0].strategy', message: 'invalid value "fastest"', fix: 'expected one of health-weighted|priority|round-robin|least-loaded' },
    { path: 'routes[0].retry.retryOn[1]', message: 'invalid value "7xx"', fix: /5xx/ },
    { path: 'routes[0].media', message: 'invalid value "proxy"', fix: 'expected one of relay|rtpengine|direct' },
  ]);
});

t.test('semantic route checks: duplicate pool entry, timers, 486 in retryOn, default with conditions', async (t) => {
  const { errors } = errorsFor('bad-semantics');
  t.match(errors, [
    { path: 'routes[0].carriers[2].id', message: /appears twice/ },
    { path: 'routes[0].timers', message: /no second carrier could ever be tried/ },
    { path: 'routes[0].retry.retryOn[1]', message: '486 cannot be retried', fix: /never retried/ },
    { path: 'routes[1].match', message: /is the default route but has match conditions/ },
  ]);
});

t.test('missing routes directory', async (t) => {
  const r = loadConfig({ carriersFile: join(BASE, 'valid', 'carriers.yaml'), routesDir: join(BASE, 'nope'), env: ENV });
  t.notOk(r.ok);
  if (r.ok) return;
  t.match(r.errors, [{ file: join(BASE, 'nope'), message: /cannot read the routes directory \(ENOENT\)/ }]);
  t.equal(r.errors.length, 1, 'no spurious "no default route" on top');
});

t.test('errors in several files are all reported at once', async (t) => {
  const r = loadConfig({ carriersFile: join(BASE, 'invalid', 'bad-transport', 'carriers.yaml'), routesDir: join(BASE, 'invalid', 'bad-regex', 'routes'), env: ENV });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors.map((e) => e.path), ['carriers[2].uri', 'routes[1].match.pattern']);
});

t.test('formatConfigErrors: file:line path: message, then the fix', async (t) => {
  const s = formatConfigErrors([{ file: 'carriers.yaml', path: 'carriers[2].uri', line: 14, message: 'transport "tls" is not supported', fix: 'expected one of udp|tcp' }]);
  t.equal(s, 'configuration invalid: 1 error\n  carriers.yaml:14 carriers[2].uri: transport "tls" is not supported\n    fix: expected one of udp|tcp');
});

t.test('parseTrunkUri', async (t) => {
  t.same(parseTrunkUri('sip:10.0.0.1;transport=tcp'), { ok: true, target: { scheme: 'sip', host: '10.0.0.1', port: 5060, transport: 'tcp' } });
  t.same(parseTrunkUri('sip:[2001:db8::5]:5080;lr;transport=udp'), { ok: true, target: { scheme: 'sip', host: '2001:db8::5', port: 5080, transport: 'udp' } });
  t.match(parseTrunkUri('sip:10.0.0.1:5060'), { ok: false, message: /missing ;transport=/, fix: /udp\|tcp/ });
  t.match(parseTrunkUri('sip:user@10.0.0.1;transport=udp'), { ok: false, message: /no user part/ });
  t.match(parseTrunkUri('sip:10.0.0.1:70000;transport=udp'), { ok: false, message: /out of range/ });
  t.match(parseTrunkUri('sip:bad_host;transport=udp'), { ok: false, message: /not a valid host/ });
});

t.test('health: thresholds out of order, good == bad, silence shorter than T1 — each with path and fix', async (t) => {
  const { errors } = errorsFor('bad-health');
  t.match(errors, [
    { path: 'health.signals.probeLate', message: /good and bad are both 0.1/, fix: /bad worse than good/ },
    { path: 'health.downBelow', message: /must be below degradedBelow/ },
    { path: 'health.recoverAbove', message: /must be above degradedBelow/, fix: /hysteresis|e\.g\./ },
    { path: 'health.silenceMs', message: /shorter than lateAfterMs/, fix: /retransmission/ },
  ]);
  t.ok(errors.every((e) => e.line !== undefined), 'lines known');
});

t.test('health: unknown keys (misspelt setting, unknown signal) are errors', async (t) => {
  const { errors } = errorsFor('bad-health-key');
  const text = formatConfigErrors(errors);
  t.match(text, /downAfterr/);
  t.match(text, /jitter/);
});
