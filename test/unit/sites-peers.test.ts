/**
 * Issue 13, peer sites: the peers: config (validated like carriers, errors name file, path and fix),
 * the pure peer placement (src/routing/peers.ts) and the marker's trust by source address.
 */
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { planPeers, trustedPeer, isPeerAddress } from '../../src/routing';
import type { CarrierPlan, CarrierSnapshot, CarrierState } from '../../src/routing';

const VALID = path.join(__dirname, '..', 'fixtures', 'config', 'valid');
const ENV = { TEST_ALPHA_USER: 'u', TEST_ALPHA_PASS: 'p' };

function withPeers(t: Test, peers: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-peers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'carriers.yaml');
  writeFileSync(file, `${readFileSync(path.join(VALID, 'carriers.yaml'), 'utf8')}\npeers:\n${peers}`);
  return file;
}

t.test('config: peers are appended after the carriers, probed like them, flagged peer', async (t) => {
  const file = withPeers(t, '  - id: site-b\n    uri: sip:10.2.0.5:5060;transport=udp\n    probe: { intervalMs: 2000, timeoutMs: 1000 }\n  - id: site-c\n    uri: sip:[2001:db8::5]:5070;transport=tcp\n    weight: 3\n');
  const r = loadConfig({ carriersFile: file, routesDir: path.join(VALID, 'routes'), env: ENV });
  t.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  if (!r.ok) return;
  const peers = r.config.carriers.filter((c) => c.peer);
  t.same(peers.map((p) => p.id), ['site-b', 'site-c']);
  t.same(peers.map((p) => p.index), [r.config.carriers.length - 2, r.config.carriers.length - 1], 'indexes follow the carriers');
  t.match(r.config.carrierById['site-b'], { peer: true, weight: 1, target: { host: '10.2.0.5', port: 5060, transport: 'udp' }, probe: { enabled: true, intervalMs: 2000, timeoutMs: 1000 } });
  t.match(r.config.carrierById['site-c'], { weight: 3, target: { host: '2001:db8::5', transport: 'tcp' } });
  t.notOk(r.config.carrierById.alpha?.peer, 'carriers are not peers');
  t.notOk(r.config.routes.some((rt) => rt.carriers.some((e) => e.id.startsWith('site-'))), 'no route uses a peer');
});

t.test('config: bad peers are reported with file, path and fix, all at once', async (t) => {
  const file = withPeers(t, [
    '  - id: site-b', '    uri: sip:edge-b.example.net:5060;transport=udp',
    '  - id: alpha', '    uri: sip:10.0.0.1;transport=udp',
    '  - id: site-d', '    uri: sip:10.0.0.2;transport=sctp',
    '  - id: site-e', '    uri: sip:10.0.0.3;transport=udp', '    probe: { intervalMs: 500, timeoutMs: 500 }',
    '  - id: site-f', '    uri: sip:10.0.0.4;transport=udp', '    wieght: 3', '',
  ].join('\n'));
  const r = loadConfig({ carriersFile: file, routesDir: path.join(VALID, 'routes'), env: ENV });
  t.notOk(r.ok);
  if (r.ok) return;
  const by = new Map(r.errors.map((e) => [e.path, e]));
  t.same([...by.keys()].sort(), ['peers[0].uri', 'peers[1].id', 'peers[2].uri', 'peers[3].probe.timeoutMs', 'peers[4].wieght']);
  t.match(by.get('peers[0].uri'), { file, message: /not an IP address/, fix: /trusted by their source address/ });
  t.match(by.get('peers[1].id'), { message: /also a carrier id/ });
  t.match(by.get('peers[2].uri'), { fix: /udp\|tcp/ });
  t.ok(r.errors.every((e) => typeof e.line === 'number'), 'every error has its line');
});

t.test('config: a route cannot name a peer', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-peers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'carriers.yaml');
  writeFileSync(file, 'peers:\n  - id: site-b\n    uri: sip:127.0.0.1:5090;transport=udp\ncarriers:\n  - id: a\n    uri: sip:127.0.0.1:5091;transport=udp\n    weight: 1\n');
  const routes = path.join(dir, 'routes');
  mkdirSync(routes);
  writeFileSync(path.join(routes, 'r.yaml'), 'routes:\n  - id: d\n    default: true\n    carriers: [{ id: a }, { id: site-b }]\n');
  const r = loadConfig({ carriersFile: file, routesDir: routes, env: {} });
  t.notOk(r.ok);
  if (r.ok) return;
  t.match(r.errors, [{ path: 'routes[0].carriers[1].id', message: /unknown carrier "site-b"/ }]);
});

const snap = (id: string, state: CarrierState, score = 1): CarrierSnapshot => ({ id, state, score, activeCalls: 0, cpsInLastSecond: 0 });
const local = (ordered: string[], mode: CarrierPlan['mode'] = 'normal'): CarrierPlan => ({ ordered, skipped: [], mode });
const PEERS = [snap('site-b', 'active', 0.8), snap('site-c', 'active', 0.9), snap('site-d', 'down')];

t.test('planPeers: each clause', async (t) => {
  t.same(planPeers({ failover: false, localFault: false, local: local(['a', 'b']), peers: PEERS }),
    { ordered: ['a', 'b', 'site-c', 'site-b'], peers: ['site-c', 'site-b'], placement: 'last', why: 'last-resort' }, 'healthy site: peers last, best score first, down peer left out');
  t.match(planPeers({ failover: false, localFault: false, local: local(['a', 'b'], 'all-down'), peers: PEERS }),
    { ordered: ['site-c', 'site-b', 'a', 'b'], placement: 'first', why: 'no-local-carrier' }, 'no local carrier usable: peers first, down carriers after');
  t.match(planPeers({ failover: false, localFault: false, local: local([]), peers: PEERS }), { ordered: ['site-c', 'site-b'], why: 'no-local-carrier' }, 'every carrier drained');
  t.match(planPeers({ failover: false, localFault: true, local: local(['a']), peers: PEERS }), { ordered: ['site-c', 'site-b', 'a'], why: 'local-fault' });
  t.match(planPeers({ failover: true, localFault: true, local: local(['a']), peers: PEERS }), { placement: 'first', why: 'failover' });
  t.same(planPeers({ fromPeer: 'site-b', failover: true, localFault: true, local: local(['a'], 'all-down'), peers: PEERS }),
    { ordered: ['a'], peers: [], placement: 'none', why: 'from-peer' }, 'a call from a peer never goes to a peer, whatever else holds');
  t.match(planPeers({ failover: true, localFault: false, local: local(['a']), peers: [snap('site-b', 'down'), snap('site-c', 'drained'), snap('site-e', 'probing')] }),
    { ordered: ['a'], placement: 'none', why: 'no-peers' }, 'down, drained and probing peers are not used');
});

t.test('trustedPeer: the marker counts only from a configured peer address', async (t) => {
  const peers = [{ id: 'site-b', host: '10.2.0.5' }, { id: 'site-c', host: '2001:db8::5' }];
  t.equal(trustedPeer('site-a', '10.2.0.5', peers), 'site-b');
  t.equal(trustedPeer('site-a', '::ffff:10.2.0.5', peers), 'site-b', 'IPv4-mapped source');
  t.equal(trustedPeer('site-a', '2001:db8:0::5', peers), 'site-c');
  t.equal(trustedPeer('site-a', '10.2.0.6', peers), undefined, 'from elsewhere: ignored');
  t.equal(trustedPeer(undefined, '10.2.0.5', peers), undefined, 'no marker');
  t.equal(trustedPeer(' ', '10.2.0.5', peers), undefined, 'empty marker');
  t.equal(trustedPeer('x', 'garbage', peers), undefined);
  t.equal(trustedPeer('x', '10.2.0.5', []), undefined, 'no peers configured');
  t.ok(isPeerAddress('10.2.0.5', peers));
  t.notOk(isPeerAddress('10.2.0.9', peers));
});
