/**
 * Every crash or 500 the mutation fuzzer found (fuzz/cases/*.json, see fuzz/findings.md), replayed
 * against the real edge (src/main.ts) with the fuzzer's scripted carrier: the edge stays up, no 500
 * reaches the caller, nothing unhandled in its log, and its transactions and dialogs end.
 * A case with `fixedBy` waits for another branch's fix and is reported as todo until then.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Actors } from '../../fuzz/actors';
import { Edge, scanLog, type EdgeHealth } from '../../fuzz/edge';
import { CarrierServer, counters, UdpSource, type OnMessage } from '../../fuzz/net';
import { Rng } from '../../fuzz/prng';
import { fill, loadCases, scriptedCarrier, type ReplayCase } from '../../fuzz/replay';
import { SentLog } from '../../fuzz/sent-log';
import { dialogRaces, type RaceWorld } from '../helpers/dialog-races';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-fuzz-replay-'));
let current: ReplayCase | undefined;
const c = counters();
const actors = new Actors(new Rng(1), new SentLog(), 50, () => undefined);
let carrier: CarrierServer;
let edge: Edge;
let caller: UdpSource;
const seen: string[] = [];
/** While a dialog-race test runs, its scripted peers take the caller's and the carrier's messages. */
let callerOverride: OnMessage | undefined;
let carrierOverride: OnMessage | undefined;

t.before(async () => {
  const scripted = scriptedCarrier(() => current?.carrier);
  carrier = await new CarrierServer('127.0.0.1', (text, link) => (carrierOverride ?? scripted)(text, link), c).open();
  edge = new Edge({ dir, legit: [], fuzzCarrierPort: carrier.port, allow: '127.0.0.0/28', probeFuzzCarriers: false });
  await edge.start();
  actors.edgeUri = `sip:127.0.0.1:${edge.sipPort}`;
  caller = await new UdpSource('127.0.0.2', { host: '127.0.0.1', port: edge.sipPort }, (text, link) => {
    if (callerOverride) return callerOverride(text, link);
    seen.push(text.split('\r\n')[0]!);
    actors.onCaller(text, link);
  }, c).open();
});

t.teardown(async () => {
  caller?.close();
  carrier?.close();
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cases = loadCases();
const leaks = cases.filter((k) => k.leakFixedBy).map((k) => `${k.file}: ${k.leakFixedBy}`);
for (const k of cases) {
  t.test(`${k.file}: ${k.title}`, { todo: k.fixedBy ? `fix expected from ${k.fixedBy}` : false }, async (t) => {
    current = k;
    seen.length = 0;
    const vars = { edge: `127.0.0.1:${edge.sipPort}`, me: `127.0.0.2:${caller.me.port}`, callId: `replay-${k.file}-${Date.now()}`, tag: 'rt1', branch: `z9hG4bK-replay${Date.now()}` };
    for (const m of k.caller) {
      caller.send(fill(m, vars));
      await sleep(50);
    }
    // Until a final response (or 4 s: a message the edge drops gets no answer at all).
    for (let i = 0; i < 80 && !seen.some((s) => /^SIP\/2\.0 [2-6]\d\d/.test(s)); i++) await sleep(50);
    t.ok(edge.alive(), 'the edge is still running');
    t.ok(seen.length > 0, 'the edge answered');
    t.notOk(seen.some((s) => s.startsWith('SIP/2.0 500')), `no 500 (got: ${seen.join(' | ') || 'nothing'})`);
    if (k.expectFinal) t.ok(seen.some((s) => s.startsWith(`SIP/2.0 ${k.expectFinal} `)), `answered ${k.expectFinal} (got: ${seen.join(' | ') || 'nothing'})`);
    for (const d of [...actors.dialogs.values()]) actors.hangup(d);
  });
}

// fuzz/findings.md #8: re-INVITEs relayed across the bridge while the far leg refuses or hangs up.
const world: RaceWorld = {
  caller: () => caller, edgePort: () => edge.sipPort,
  listen: (onCaller, onCarrier) => {
    callerOverride = onCaller;
    carrierOverride = onCarrier;
  },
};
dialogRaces(world);

t.test('afterwards: nothing unhandled in the log', async (t) => {
  const scan = scanLog(edge.logFile);
  t.equal(scan.unhandled, 0, `no unhandled errors: ${scan.unhandledSamples.join('\n')}`);
});

t.test('afterwards: every transaction and dialog ended', { todo: leaks.length ? leaks.join('; ') : false }, async (t) => {
  let h: EdgeHealth | undefined;
  // Up to 64·T1 + 8 s: an INVITE client transaction to a UDP carrier that answered non-2xx stays in
  // Completed for timer D (32 s, RFC 3261 §17.1.1.2) after the last case.
  for (let i = 0; i < 160; i++) {
    h = await edge.health();
    if (h && h.engine.serverTransactions + h.engine.clientTransactions + h.engine.dialogs + h.activeCalls === 0) break;
    await sleep(250);
  }
  t.same(h && [h.engine.serverTransactions, h.engine.clientTransactions, h.engine.dialogs, h.activeCalls], [0, 0, 0, 0], `server/client transactions, dialogs, calls back to 0 (${JSON.stringify(h?.engine)})`);
});
