import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings, parseHostPort, USAGE } from '../../src/app/settings';

t.test('command line wins over environment, which wins over defaults', async (t) => {
  const { settings } = loadSettings(['--sip', '127.0.0.1:5070', '--routes=r'], { TRUNKWISE_SIP: '0.0.0.0:1', TRUNKWISE_HTTP: '127.0.0.1:9999' });
  t.same(settings.sip, { host: '127.0.0.1', port: 5070 });
  t.same(settings.http, { host: '127.0.0.1', port: 9999 });
  t.equal(settings.routesDir, 'r');
  t.equal(settings.carriersFile, 'carriers.yaml');
  t.equal(settings.engine, 'embedded');
});

t.test('DRACHTIO_HOST selects an external drachtio-server and requires its secret', async (t) => {
  t.throws(() => loadSettings([], { DRACHTIO_HOST: '10.0.0.5' }), /DRACHTIO_SECRET must be set/);
  const { settings, secrets } = loadSettings([], { DRACHTIO_HOST: '10.0.0.5', DRACHTIO_PORT: '9023', DRACHTIO_SECRET: 's' });
  t.equal(settings.engine, 'external');
  t.same(settings.drachtio, { host: '10.0.0.5', port: 9023 });
  t.equal(secrets.drachtioSecret, 's');
});

t.test('bad input names the option and the fix', async (t) => {
  t.throws(() => loadSettings(['--bogus', 'x'], {}), /unknown option "--bogus"/);
  t.throws(() => loadSettings(['--sip'], {}), /--sip needs a value/);
  t.throws(() => parseHostPort('localhost', '--sip'), /not host:port/);
  t.throws(() => loadSettings(['--max-cps', '-3'], {}), /must be a positive number/);
});

t.test('the admin token comes from the environment only', async (t) => {
  t.equal(loadSettings([], {}).secrets.adminToken, undefined);
  t.equal(loadSettings([], { TRUNKWISE_ADMIN_TOKEN: 'tok' }).secrets.adminToken, 'tok');
});

t.test('an empty environment variable means unset (an EnvironmentFile line "NAME=" must not empty the allowlist)', async (t) => {
  const { settings, secrets } = loadSettings([], { TRUNKWISE_ALLOW: '', TRUNKWISE_SIP: '', TRUNKWISE_MAX_CPS: '', DRACHTIO_HOST: '', DRACHTIO_SECRET: '' });
  t.same(settings.allow, ['127.0.0.0/8'], 'the default allowlist');
  t.same(settings.sip, { host: '127.0.0.1', port: 5060 }, 'the default SIP address');
  t.equal(settings.maxCps, 500, 'the default CPS limit');
  t.equal(settings.engine, 'embedded', 'DRACHTIO_HOST= does not select an external engine');
  t.ok(secrets.drachtioSecret.length >= 16, 'an empty DRACHTIO_SECRET is replaced by a random one for the embedded engine');
  t.throws(() => loadSettings(['--allow', ''], {}), /--allow/, 'an empty value on the command line is an error that names the option');
});

t.test('--redis and --site: shared state is off by default; bad values name the fix', async (t) => {
  const d = loadSettings([], {}).settings;
  t.equal(d.redis, undefined);
  t.equal(d.site, 'default');
  const s = loadSettings(['--redis', 'redis://127.0.0.1:6390/2', '--site', 'east'], {}).settings;
  t.equal(s.redis, 'redis://127.0.0.1:6390/2');
  t.equal(s.site, 'east');
  t.equal(loadSettings([], { TRUNKWISE_REDIS: 'redis://10.0.0.1:6379', TRUNKWISE_SITE: 'west' }).settings.site, 'west');
  t.throws(() => loadSettings(['--redis', 'localhost:6379'], {}), /is not redis:\/\/host:port\/db/);
  t.throws(() => loadSettings(['--site', 'a b'], {}), /TRUNKWISE_SITE/);
});

t.test('the README documents every option --help lists, with its environment name', async (t) => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const options = [...USAGE.matchAll(/^ {2}--([a-z-]+)\s+(\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
  t.ok(options.length >= 20, `options read from --help (${options.length})`);
  const rows = readme.split('\n').filter((l) => l.startsWith('| `--'));
  const missing = options.filter(([opt, env]) => !rows.some((r) => r.startsWith(`| \`--${opt} `) || r.startsWith(`| \`--${opt}\``)) || !rows.some((r) => r.includes(`\`${env}\``)));
  t.same(missing, [], 'no option missing from the README tables (option and environment name)');
});
