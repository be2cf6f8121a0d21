import t from 'tap';
import { resolveCli } from '../../src/engine/cli-options';

const XML = `<drachtio>
  <admin port="9023" secret="from-file">127.0.0.2</admin>
  <sip>
    <contacts><contact>sip:127.0.0.1:5080;transport=udp,tcp,ws</contact><contact>sips:127.0.0.1:5081;transport=tls</contact></contacts>
    <session-timers default-refresher="uas"/>
  </sip>
  <logging><loglevel>debug</loglevel></logging>
</drachtio>`;
const files = (path: string): string => {
  if (path === '/etc/test.xml') return XML;
  throw new Error(`no such file ${path}`);
};
const run = (argv: string[], env: Record<string, string> = {}) => {
  const a = resolveCli(argv, env, files);
  if (a.kind !== 'run') throw new Error(a.kind);
  return a;
};

t.test('precedence as drachtio-server: defaults < file < DRACHTIO_* env < command line', async (t) => {
  t.same(run([]).options.wire, { host: '127.0.0.1', port: 9022, secret: 'admin' }, 'built-in defaults');
  t.same(run(['-f', '/etc/test.xml']).options.wire, { host: '127.0.0.2', port: 9023, secret: 'from-file' }, 'file');
  const env = { DRACHTIO_SECRET: 'from-env', DRACHTIO_ADMIN_ADDRESS: '127.0.0.3', DRACHTIO_ADMIN_TCP_PORT: '9024' };
  t.same(run(['-f', '/etc/test.xml'], env).options.wire, { host: '127.0.0.3', port: 9024, secret: 'from-env' }, 'env over file');
  t.same(run(['-f', '/etc/test.xml', '--secret', 'cli', '--address', '127.0.0.4', '-p', '9025'], env).options.wire,
    { host: '127.0.0.4', port: 9025, secret: 'cli' }, 'command line over env');
  t.same(run([], { DRACHTIO_CONFIG_FILE_PATH: '/etc/test.xml' }).options.wire.secret, 'from-file', 'DRACHTIO_CONFIG_FILE_PATH when no -f');
  t.equal(run([], { DRACHTIO_ADMIN_TCP_PORT: 'abc' }).options.wire.port, 9022, 'an unusable env port is ignored, as drachtio does (atoi > 0)');
});

t.test('log level: file < DRACHTIO_LOGLEVEL < --loglevel; drachtio names mapped to pino', async (t) => {
  t.equal(run(['-f', '/etc/test.xml']).loglevel, 'debug');
  t.equal(run(['-f', '/etc/test.xml'], { DRACHTIO_LOGLEVEL: 'notice' }).loglevel, 'info');
  t.equal(run([], { DRACHTIO_LOGLEVEL: 'warning' }).loglevel, 'warn');
  t.equal(run([], { DRACHTIO_LOGLEVEL: 'bogus' }).loglevel, 'info', 'unknown env level ignored');
  t.equal(run(['-l', 'error'], { DRACHTIO_LOGLEVEL: 'debug' }).loglevel, 'error');
});

t.test('ws/wss/tls contacts are refused one by one; udp/tcp of the same contact still listen', async (t) => {
  const a = run(['-f', '/etc/test.xml']);
  t.same(a.options.sip, [{ protocol: 'udp', address: '127.0.0.1', port: 5080 }, { protocol: 'tcp', address: '127.0.0.1', port: 5080 }]);
  t.same(a.refused.map((r) => r.contact), ['sip:127.0.0.1:5080;transport=udp,tcp,ws', 'sips:127.0.0.1:5081;transport=tls']);
  t.match(a.refused[0]!.reason, /ws is not supported/);
  const c = run(['--contact', 'sip:127.0.0.1:5090;transport=ws']);
  t.same(c.options.sip, [], 'a command-line contact that is all refused leaves no listener (no silent fallback to 5060)');
  t.equal(c.refused.length, 1);
});

t.test('other settings: auto-respond from env or option, session-timers default refresher from the file, ignored env reported', async (t) => {
  t.equal(run([], { DRACHTIO_USER_AGENT_OPTIONS_AUTO_RESPOND: 'Probe' }).options.behaviour?.userAgentOptionsAutoRespond, 'Probe');
  t.equal(run(['--user-agent-options-auto-respond', 'X'], { DRACHTIO_USER_AGENT_OPTIONS_AUTO_RESPOND: 'Probe' }).options.behaviour?.userAgentOptionsAutoRespond, 'X');
  t.same(run(['-f', '/etc/test.xml']).options.behaviour?.sessionTimers, { defaultRefresher: 'uas' });
  t.ok(run([], { DRACHTIO_TLS_KEY_FILE: '/k' }).ignored.includes('env DRACHTIO_TLS_KEY_FILE'));
  t.same(resolveCli(['-v'], {}, files), { kind: 'version' });
  t.throws(() => resolveCli(['-p', 'x'], {}, files), /needs a port number/);
  t.throws(() => resolveCli(['stray'], {}, files), /unexpected argument/);
});
