/**
 * Two trunkwise edges on loopback, "site A" and "site B", each with one simulated carrier and the
 * other as its peer (carriers.yaml peers:, added by a SIGHUP reload once both SIP ports are known).
 * Both answer the IVR's OPTIONS 200 even with no carrier (upstream noCarrier off), so each keeps
 * seeing the other as a usable peer whatever happens to its carriers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Simulator } from '../../src/sim';
import { startTrunkwise, type Trunkwise } from './trunkwise-process';
import { waitFor } from './wait';

export const FAST_PROBE = '{ enabled: true, intervalMs: 300, timeoutMs: 250, burst: 1 }';
const ROUTE = (carrier: string): string => `routes:
  - id: default
    default: true
    carriers: [{ id: ${carrier} }]
    maxAttempts: 2
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 10000, setupDeadlineMs: 8000 }
`;

export interface SiteCdr {
  outcome: string; finalStatus?: number; source: string; fromPeer?: string;
  attempts: Array<{ carrier: string; outcome: string; status?: number; peer?: boolean }>;
}

export const cdrList = (tw: Trunkwise): SiteCdr[] => tw.logs.filter((l) => l.msg === 'cdr').map((l) => l.cdr as SiteCdr);

/** Append the peer and the upstream setting to a running edge's carriers.yaml and reload it. */
async function addPeer(tw: Trunkwise, peerId: string, peerPort: number): Promise<void> {
  const text = readFileSync(tw.carriersFile, 'utf8');
  writeFileSync(tw.carriersFile, `upstream: { noCarrier: { unavailable: false } }\npeers:\n  - id: ${peerId}\n    uri: sip:127.0.0.1:${peerPort};transport=udp\n    probe: ${FAST_PROBE}\n${text}`);
  const reloaded = (): number => tw.logs.filter((l) => l.msg === 'configuration reloaded').length;
  const before = reloaded();
  tw.signal('SIGHUP');
  if (!(await waitFor(async () => reloaded() > before, 10_000))) throw new Error(`reload with peer ${peerId} failed`);
}

export async function carrierRow(tw: Trunkwise, id: string): Promise<{ state?: string; peer?: boolean; health?: { state: string } | null } | undefined> {
  const body = (await tw.admin('GET', '/carriers')).body as { carriers: Array<{ id: string; state?: string; peer?: boolean; health?: { state: string } | null }> };
  return body.carriers.find((c) => c.id === id);
}

/** Sites A (carrier-a1, peer site-b) and B (carrier-b1, peer site-a) over `sim`; stopped by `t`'s teardown. */
export async function startSitePair(t: { teardown(fn: () => Promise<void>): void }, sim: Simulator): Promise<{ a: Trunkwise; b: Trunkwise }> {
  const a = await startTrunkwise({ carriers: [{ id: 'carrier-a1', port: sim.get('carrier-a1').port, weight: 10, probe: FAST_PROBE }], routes: { 'r.yaml': ROUTE('carrier-a1') }, args: ['--site', 'site-a'] });
  t.teardown(() => a.stop());
  const b = await startTrunkwise({ carriers: [{ id: 'carrier-b1', port: sim.get('carrier-b1').port, weight: 10, probe: FAST_PROBE }], routes: { 'r.yaml': ROUTE('carrier-b1') }, args: ['--site', 'site-b'] });
  t.teardown(() => b.stop());
  await addPeer(a, 'site-b', b.sipPort);
  await addPeer(b, 'site-a', a.sipPort);
  return { a, b };
}
