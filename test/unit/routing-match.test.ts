import t from 'tap';
import { matchRoute } from '../../src/routing/match';
import { literalPrefix, compileRouteTable } from '../../src/routing/compile';
import { seededRandom } from '../../src/routing/prng';
import { table, route, headers, type RouteSpec } from '../fixtures/config/builders';
import type { CompiledRouteTable, RouteRequest } from '../../src/routing/types';

function req(user: string, over: Partial<Omit<RouteRequest, 'headers'>> & { h?: Record<string, string> } = {}): RouteRequest {
  return { user, sourceAddress: over.sourceAddress ?? '192.0.2.10', ...(over.sourceId !== undefined && { sourceId: over.sourceId }), headers: headers(over.h) };
}
const id = (tb: CompiledRouteTable, r: RouteRequest): string => matchRoute(tb, r).id;

t.test('nothing matches → the default route', async (t) => {
  const tb = table([{ id: 'uk', prefix: '+44' }]);
  t.equal(id(tb, req('+33123')), 'default');
  t.equal(id(tb, req('')), 'default');
  t.equal(id(tb, req('+4')), 'default', 'a partial prefix does not match');
});

t.test('longest prefix wins at equal order, whatever the file order', async (t) => {
  const tb = table([
    { id: 'uk-mobile', prefix: '+447', file: '90-z.yaml' },
    { id: 'uk', prefix: ['+44', '0044'], file: '10-a.yaml' },
    { id: 'uk-mobile-x', prefix: '+4477', file: '50-m.yaml' },
  ]);
  t.equal(id(tb, req('+441234')), 'uk');
  t.equal(id(tb, req('00441234')), 'uk', 'any of the route\'s prefixes');
  t.equal(id(tb, req('+447123')), 'uk-mobile');
  t.equal(id(tb, req('+4477123')), 'uk-mobile-x');
});

t.test('a lower order beats a longer prefix', async (t) => {
  const tb = table([
    { id: 'uk-mobile', prefix: '+447' },
    { id: 'uk-first', prefix: '+44', order: 5 },
  ]);
  t.equal(id(tb, req('+447123')), 'uk-first');
});

t.test('same prefix and order: file name, then position', async (t) => {
  const specs: RouteSpec[] = [
    { id: 'b-1', prefix: '+1', file: '20-b.yaml', position: 1 },
    { id: 'b-0', prefix: '+1', file: '20-b.yaml', position: 0 },
    { id: 'c', prefix: '+1', file: '30-c.yaml', position: 0 },
  ];
  t.equal(id(table(specs), req('+1555')), 'b-0');
  t.equal(id(table([...specs, { id: 'a', prefix: '+1', file: '10-a.yaml', position: 5 }]), req('+1555')), 'a');
});

t.test('pattern routes: regex on the user; a prefix route of equal order wins over them', async (t) => {
  const tb = table([
    { id: 'nanp', pattern: '^\\+1\\d{10}$' },
    { id: 'us-800', prefix: '+1800' },
    { id: 'first', pattern: '^\\+19', order: 1 },
  ]);
  t.equal(id(tb, req('+12025550123')), 'nanp');
  t.equal(id(tb, req('+1202555012')), 'default', 'pattern fails (10 digits only)');
  t.equal(id(tb, req('+18005550123')), 'us-800', 'prefix length 5 beats a pattern (length 0) at equal order');
  t.equal(id(tb, req('+19175550123')), 'first', 'lower order wins');
});

t.test('prefix and pattern together must both hold', async (t) => {
  const tb = table([{ id: 'uk-long', prefix: '+44', pattern: '^\\+44\\d{10}$' }]);
  t.equal(id(tb, req('+441234567890')), 'uk-long');
  t.equal(id(tb, req('+44123')), 'default');
});

t.test('sources: IPv4 and IPv6 CIDRs, IPv4-mapped addresses, named sources', async (t) => {
  const tb = table([
    { id: 'lab4', prefix: '+1', sources: ['10.1.0.0/16'] },
    { id: 'lab6', prefix: '+1', sources: ['2001:db8:aa::/48'] },
    { id: 'ivr', prefix: '+1', sources: ['ivr-7', '198.51.100.9'] },
  ]);
  t.equal(id(tb, req('+1555', { sourceAddress: '10.1.200.3' })), 'lab4');
  t.equal(id(tb, req('+1555', { sourceAddress: '::ffff:10.1.0.1' })), 'lab4', 'IPv4-mapped IPv6');
  t.equal(id(tb, req('+1555', { sourceAddress: '[2001:db8:aa:1::5]' })), 'lab6');
  t.equal(id(tb, req('+1555', { sourceAddress: '2001:db8:ab::5' })), 'default');
  t.equal(id(tb, req('+1555', { sourceAddress: '10.2.0.1', sourceId: 'ivr-7' })), 'ivr');
  t.equal(id(tb, req('+1555', { sourceAddress: '198.51.100.9' })), 'ivr', 'a single address = /32');
  t.equal(id(tb, req('+1555', { sourceAddress: 'not-an-ip' })), 'default');
});

t.test('a route whose source does not match falls through to a shorter prefix', async (t) => {
  const tb = table([
    { id: 'uk', prefix: '+44' },
    { id: 'uk-lab', prefix: '+447', sources: ['10.0.0.0/8'] },
  ]);
  t.equal(id(tb, req('+447000', { sourceAddress: '10.9.9.9' })), 'uk-lab');
  t.equal(id(tb, req('+447000', { sourceAddress: '192.0.2.1' })), 'uk');
});

t.test('priority header: case-insensitive name and value, trimmed', async (t) => {
  const tb = table([
    { id: 'emergency', priority: { values: ['emergency'] }, order: 10 },
    { id: 'uk', prefix: '+44' },
    { id: 'custom', priority: { header: 'X-Alarm-Class', values: ['fire'] }, prefix: '+1' },
  ]);
  t.equal(id(tb, req('+441', { h: { priority: ' Emergency ' } })), 'emergency');
  t.equal(id(tb, req('+441', { h: { Priority: 'urgent' } })), 'uk');
  t.equal(id(tb, req('+441')), 'uk', 'absent header');
  t.equal(id(tb, req('+1555', { h: { 'x-alarm-class': 'FIRE' } })), 'custom');
  t.equal(id(tb, req('+1555', { h: { 'x-alarm-class': 'flood' } })), 'default');
});

t.test('random route tables: matchRoute agrees with a brute-force reference', async (t) => {
  const rnd = seededRandom(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const prefixes = ['+1', '+12', '+123', '+2', '+21', '+3', '0', '00', '001'];
  const patterns = ['^\\+12\\d{2}$', '^\\+2', '5$', '^0+1', '^\\+3\\d*$', '^(\\+1|00)'];
  let mismatches = 0;
  let checks = 0;
  for (let round = 0; round < 30; round++) {
    const routes = [];
    for (let i = 0; i < 25; i++) {
      const kind = rnd();
      routes.push(route({
        id: `r${i}`, file: `${Math.floor(rnd() * 3)}.yaml`, position: i, order: pick([40, 50, 100, 100]),
        ...(kind < 0.6 && { prefix: rnd() < 0.3 ? [pick(prefixes), pick(prefixes)] : pick(prefixes) }),
        ...((kind >= 0.6 || rnd() < 0.15) && { pattern: pick(patterns) }),
        ...(rnd() < 0.3 && { sources: [pick(['10.0.0.0/8', '2001:db8::/32', 'ivr-1'])] }),
        ...(rnd() < 0.1 && { priority: { values: ['emergency'] } }),
      }));
    }
    routes.push(route({ id: 'default', file: '9.yaml' }));
    const { routes: all, table: tb } = compileRouteTable(routes);
    for (const user of ['+1234', '+12', '+1299', '+12345', '+2105', '+3', '+35', '0015', '001', '0', '+45', '']) {
      for (const [src, sourceId] of [['10.1.1.1', undefined], ['2001:db8::9', undefined], ['192.0.2.1', 'ivr-1'], ['192.0.2.1', undefined]] as const) {
        for (const h of [{}, { Priority: 'emergency' }] as Record<string, string>[]) {
          const r = req(user, { sourceAddress: src, ...(sourceId && { sourceId }), h });
          const holds = all.filter((x) => {
            if (x.default) return false;
            if (x.match.prefixes.length && !x.match.prefixes.some((p) => user.startsWith(p))) return false;
            if (x.regex && !x.regex.test(user)) return false;
            if (x.match.sources.length) {
              const okSrc = x.match.sources.some((s) => (s === 'ivr-1' ? sourceId === 'ivr-1' : s === '10.0.0.0/8' ? src.startsWith('10.') : src.startsWith('2001:db8:')));
              if (!okSrc) return false;
            }
            if (x.match.priority && !('Priority' in h)) return false;
            return true;
          }).map((x) => ({ x, len: Math.max(0, ...x.match.prefixes.filter((p) => user.startsWith(p)).map((p) => p.length)) }));
          holds.sort((a, b) => a.x.order - b.x.order || b.len - a.len || a.x.rank - b.x.rank);
          checks++;
          if (matchRoute(tb, r).id !== (holds[0]?.x.id ?? 'default')) mismatches++;
        }
      }
    }
  }
  t.equal(mismatches, 0, `${checks} requests checked`);
});

t.test('literalPrefix: the anchored literal start used to index pattern routes', async (t) => {
  const cases: [string, string][] = [
    ['^\\+447\\d{9}$', '+447'], ['^\\+1\\d{10}$', '+1'], ['^0044', '0044'], ['^ab+c', 'ab'], ['^a?b', ''], ['^ab*', 'a'],
    ['^a{2}', ''], ['^(44|33)', ''], ['^44|^33', ''], ['44$', ''], ['^\\d+', ''], ['^[+]44', ''], ['^\\*99#', '*99#'], ['^.', ''],
  ];
  for (const [src, want] of cases) t.equal(literalPrefix(src), want, src);
});

t.test('indexed pattern routes still rank as prefix length 0 and still run their regex', async (t) => {
  const tb = table([
    { id: 'pat-uk', pattern: '^\\+44\\d{10}$', order: 90 },
    { id: 'uk', prefix: '+44' },
    { id: 'uk-mobile', prefix: '+447', order: 90 },
    { id: 'anywhere-5', pattern: '5$', order: 95 },
  ]);
  t.same(tb.patternTrie.children['+']?.children['4']?.children['4']?.entries.map((e) => e.route.id), ['pat-uk']);
  t.same(tb.unprefixed.map((r) => r.id), ['anywhere-5']);
  t.equal(id(tb, req('+441234567890')), 'pat-uk', 'order 90 beats the +44 route at order 100');
  t.equal(id(tb, req('+447234567890')), 'uk-mobile', 'equal order 90: prefix length 4 beats the pattern (0)');
  t.equal(id(tb, req('+4412345')), 'anywhere-5', 'regex fails (too short) → next best');
  t.equal(id(tb, req('+4412346')), 'uk');
});
