/**
 * Coverage in `npm test` is V8's, written by every Node process (test files under tap, and the
 * trunkwise / simulator / engine children they start with `node --import tsx`), then merged by c8
 * per file URL, by byte offset into the transpiled JavaScript. That is only right when every process
 * transpiled a source file to the same JavaScript: tap's default TypeScript loader (ts-node) and tsx
 * (esbuild) do not, and merging the two scrambled the counts (src/routing/ip.ts: 184 of 189 lines
 * covered by its unit test alone, 2 of 189 once merged with a child's coverage). So tap runs test
 * files with tsx too (package.json "tap": node-arg); this checks that a tap test process and a child
 * started as the suites start theirs turn a source file into the same JavaScript.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import Module from 'node:module';
import path from 'node:path';

const FILE = path.join(__dirname, '..', '..', 'src', 'routing', 'ip.ts');

/** "<sha256> <length>" of the JavaScript this process's `.ts` require hook hands to V8 for `file`. */
function transpiled(file: string): string {
  const extensions = Reflect.get(Module, '_extensions') as Record<string, (m: Module, f: string) => void>;
  const m = new Module(file);
  let code = '';
  Reflect.set(m, '_compile', (js: string) => void (code = js));
  Reflect.set(m, 'filename', file);
  extensions['.ts']!(m, file);
  return `${createHash('sha256').update(code).digest('hex')} ${code.length}`;
}

t.test('a tap test process and a `node --import tsx` child transpile a source file to the same JavaScript', async (t) => {
  const mine = transpiled(FILE);
  const script = `const { createHash } = require('node:crypto'); const Module = require('node:module');
    const m = new Module(${JSON.stringify(FILE)}); let code = ''; m._compile = (js) => { code = js; }; m.filename = ${JSON.stringify(FILE)};
    Module._extensions['.ts'](m, ${JSON.stringify(FILE)}); process.stdout.write(createHash('sha256').update(code).digest('hex') + ' ' + code.length);`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000, cwd: path.join(__dirname, '..', '..') });
  t.equal(child.status, 0, `the child ran: ${child.stderr.slice(-500)}`);
  t.ok(Number(mine.split(' ')[1]) > 1000, `this process transpiled the file (${mine})`);
  t.equal(mine, child.stdout, 'same JavaScript in both, so c8 can merge their coverage by offset');
});
