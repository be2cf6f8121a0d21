/**
 * trunkwise's own failures are never charged to a carrier (issue 9): INVITEs whose body trunkwise
 * cannot handle get 415 with `Accept: application/sdp` before any carrier attempt, and leave every
 * carrier's score, state and counters as they were, with no local-fault alarm.
 */
import t from 'tap';
import path from 'node:path';
import { runSipp, killAll } from '../helpers/sipp';
import { startWithFiveSippCarriers, cdrs } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
t.teardown(killAll);

interface CarrierView { id: string; health: { state: string; score: number } | null; counters: { failed: number; answered: number } | null }
interface CarriersBody { localFault: boolean; carriers: CarrierView[] }

t.test('40 INVITEs with a non-SDP body: 415 with Accept, no carrier attempt, no carrier scored', async (t) => {
  const { tw, servers } = await startWithFiveSippCarriers(t, SC('uas-carrier-answer.xml'));
  const view = async (): Promise<CarriersBody> => (await tw.admin('GET', '/carriers')).body as CarriersBody;
  const before = await view();

  const r = await runSipp({ scenario: SC('uac-unknown-body-expect-415.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 20, calls: 40, timeoutMs: 30_000 });
  t.equal(r.successful, 40, 'each INVITE answered 415 with Accept: application/sdp');
  await new Promise((res) => setTimeout(res, 1500)); // a health evaluation tick

  const after = await view();
  t.same(after.carriers.map((c) => [c.id, c.health?.state, c.health?.score]), before.carriers.map((c) => [c.id, c.health?.state, c.health?.score]), 'every carrier keeps its state and score');
  t.ok(after.carriers.every((c) => (c.counters?.failed ?? 0) === 0), 'no failed attempt counted against any carrier');
  t.equal(after.localFault, false, 'no local-fault alarm');
  const stats = await Promise.all(servers.map((s) => s.stop()));
  t.equal(stats.reduce((n, s) => n + s.successful + s.failed, 0), 0, 'no carrier received an INVITE');
  t.equal(cdrs(tw.logs).filter((c) => c.attempts.length > 0).length, 0, 'no call attempt in any CDR');
});
