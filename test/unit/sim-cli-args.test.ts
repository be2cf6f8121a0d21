import t from 'tap';
import { parseCliArgs, parseSet } from '../../src/sim/cli-args';

t.test('defaults', async (t) => {
  const r = parseCliArgs([]);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.options, { carriersFile: 'carriers.yaml', http: { host: '127.0.0.1', port: 8090 }, sets: [], logLevel: 'info', transport: 'both', seed: undefined, help: false });
});

t.test('every option, both --opt value and --opt=value', async (t) => {
  const r = parseCliArgs(['--carriers', 'x.yaml', '--http=0.0.0.0:9000', '--set', 'carrier-b:mode=reject,rejectCode=503', '--set=carrier-c:dropPercent=10',
    '--log-level', 'debug', '--transport', 'udp', '--seed', '42']);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.options.carriersFile, 'x.yaml');
  t.same(r.options.http, { host: '0.0.0.0', port: 9000 });
  t.same(r.options.sets, [{ id: 'carrier-b', patch: { mode: 'reject', rejectCode: 503 } }, { id: 'carrier-c', patch: { dropPercent: 10 } }]);
  t.equal(r.options.logLevel, 'debug');
  t.equal(r.options.transport, 'udp');
  t.equal(r.options.seed, 42);
  const none = parseCliArgs(['--http', 'none']);
  t.equal(none.ok && none.options.http, undefined);
});

t.test('errors are collected', async (t) => {
  const r = parseCliArgs(['--http', 'localhost', '--set', 'nocolon', '--log-level', 'loud', '--bogus', 'x', '--carriers']);
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 5);
  t.match(r.errors.join('\n'), /--http "localhost" is not HOST:PORT/);
  t.match(r.errors.join('\n'), /unknown option --bogus/);
  t.match(r.errors.join('\n'), /--carriers needs a value/);
});

t.test('parseSet keeps non-numeric values as strings (the validator reports them)', async (t) => {
  t.same(parseSet('a:mode=silent,ringMs=abc'), { id: 'a', patch: { mode: 'silent', ringMs: 'abc' } });
  t.match(parseSet('a:mode'), /not KEY=VALUE/);
});
