/**
 * Issue 14: "an unknown key hides the file's other errors". A carriers.yaml with a misspelt key on
 * one carrier and an unsupported transport and a duplicate id on others used to report only the
 * misspelt key (the carrier checks ran only on a file the schema accepted); now all three come in
 * one report — without a cascade from the misspelling itself (no "no weight" for `wieght`).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROUTES = path.join(__dirname, '..', 'fixtures', 'config', 'valid', 'routes');

/** A carriers.yaml path in a temporary folder removed when `t` ends. */
function carriersFile(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'carriers.yaml');
}

t.test('a misspelt key does not hide the file\'s other errors', async (t) => {
  const file = carriersFile(t);
  writeFileSync(file, [
    'carriers:',
    '  - id: alpha',
    '    uri: sip:127.0.0.1:5071;transport=tls',
    '    weight: 30',
    '  - id: bravo',
    '    uri: sip:127.0.0.1:5072;transport=udp',
    '    wieght: 25',
    '  - id: alpha',
    '    uri: sip:127.0.0.1:5073;transport=udp',
    '    weight: 20',
    '',
  ].join('\n'));
  const r = loadConfig({ carriersFile: file, routesDir: ROUTES, env: {} });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors.map((e) => e.path).sort(), ['carriers[0].uri', 'carriers[1].wieght', 'carriers[2].id'], 'the misspelt key, the transport and the duplicate id, in one report');
});

t.test('a misspelt top-level section does not hide the carriers\' errors either', async (t) => {
  const file = carriersFile(t);
  writeFileSync(file, 'helth:\n  evaluateMs: 500\ncarriers:\n  - id: alpha\n    uri: sip:127.0.0.1:5071;transport=tls\n    weight: 30\n');
  const r = loadConfig({ carriersFile: file, routesDir: ROUTES, env: {} });
  t.notOk(r.ok);
  if (!r.ok) t.same(r.errors.map((e) => `${e.path}: ${e.message}`), ['helth: unknown key "helth"', 'carriers[0].uri: transport "tls" is not supported']);
});

t.test('with another kind of schema error the report stays the schema\'s (no checks on a file of unknown shape)', async (t) => {
  const file = carriersFile(t);
  writeFileSync(file, 'carriers:\n  - id: alpha\n    uri: sip:127.0.0.1:5071;transport=tls\n    weight: fast\n  - id: bravo\n    uri: sip:127.0.0.1:5072;transport=udp\n    wieght: 25\n');
  const r = loadConfig({ carriersFile: file, routesDir: ROUTES, env: {} });
  t.notOk(r.ok);
  if (!r.ok) t.same(r.errors.map((e) => e.path), ['carriers[0].weight', 'carriers[1].wieght'], 'both schema errors, nothing derived from them');
});
