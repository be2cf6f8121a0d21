/**
 * Issue 14 ("an unknown key hides the file's other errors"): still true on the audited code. A
 * carriers.yaml with a misspelt key on one carrier and an unsupported transport and a duplicate id
 * on others reports only the misspelt key; fixing it then reveals the other two. Every error of the
 * file should come in one report. Fails today (src/config/load.ts skips the carrier checks when the
 * schema check fails); move to test/unit/ once it passes.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROUTES = path.join(__dirname, '..', 'fixtures', 'config', 'valid', 'routes');

t.test('a misspelt key does not hide the file\'s other errors', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-config-wip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'carriers.yaml');
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
