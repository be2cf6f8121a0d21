import t from 'tap';
import { parseYaml } from '../../src/config/yaml-source';

t.test('a file that expands too many aliases is an error with the file and a fix, not a throw', async (t) => {
  const bomb = 'x: &a [l, l, l, l, l, l, l, l, l]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ncarriers: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
  const r = parseYaml(bomb, 'carriers.yaml');
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.errors[0]!.file, 'carriers.yaml');
    t.match(r.errors[0]!.message, /alias/i);
    t.match(r.errors[0]!.fix, /aliases/);
  }
});

t.test('a few aliases are fine', async (t) => {
  const r = parseYaml('base: &b { weight: 1 }\ncarriers: [*b, *b]\n', 'carriers.yaml');
  t.equal(r.ok, true);
});
