/**
 * `node --import tsx fuzz/probe-carrier.ts [RATE] [SECONDS] [SEED] [carrier|sdp]` — a focused probe
 * (run it under the heavy lock): clean INVITEs from one UDP caller to the fuzz carrier's route at
 * RATE/s, the carrier answering with the run's mutated responses (fuzz/actors.ts); `sdp` damages each
 * INVITE's body or Content-Type instead. Prints what is left after the settle (each leftover dialog
 * with the last messages sent in its call) and the calls that drew a 500. Found fuzz/findings.md #17.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Actors } from './actors';
import { newRequest } from './corpus';
import { serialize } from './draft';
import { DRAFT_OPS } from './mutate';
import { Edge, leftovers } from './edge';
import { CarrierServer, counters, UdpSource } from './net';
import { Rng } from './prng';
import { SentLog } from './sent-log';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 100);
  const seconds = Number(process.argv[3] ?? 60);
  const seed = Number(process.argv[4] ?? 7);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-probe-'));
  const rng = new Rng(seed);
  const log = new SentLog(400, 200_000);
  const c = counters();
  let n500 = 0;
  const mode = process.argv[5] ?? 'carrier';
  const samples: string[] = [];
  const actors = new Actors(rng, log, 400, (res) => {
    n500++;
    const callId = /\r\ncall-id:\s*(\S+)/i.exec(res)?.[1] ?? '';
    if (samples.length < 5) samples.push(JSON.stringify(log.forCall(callId).map((e) => [e.who, e.ops, e.latin1.slice(0, 1200)])));
  });
  const carrier = await new CarrierServer('127.0.0.1', actors.onCarrier, c).open();
  const edge = new Edge({ dir, legit: [], fuzzCarrierPort: carrier.port, allow: '127.0.0.0/28', probeFuzzCarriers: false });
  await edge.start();
  actors.edgeUri = `sip:127.0.0.1:${edge.sipPort}`;
  const ep = { host: '127.0.0.1', port: edge.sipPort, transport: 'UDP' as const };
  const src = await new UdpSource('127.0.0.2', { host: '127.0.0.1', port: edge.sipPort }, actors.onCaller, c).open();
  actors.fallback = src;
  const t0 = Date.now();
  let sent = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    while (sent < due) {
      const d = newRequest(rng, src.me, ep, 'INVITE');
      const ops: string[] = [];
      if (mode === 'sdp') {
        DRAFT_OPS[rng.pick(['sdpDamage', 'sdpDamage', 'contentType'])]!(d, rng);
        ops.push('sdp');
      }
      const m = serialize(d);
      log.add('caller', src.me, m, ops);
      src.send(m);
      sent++;
    }
    for (const d of actors.dialogs.values()) if (Date.now() - d.bornAt > 1000) actors.hangup(d);
    await sleep(10);
  }
  actors.calm = true;
  for (const d of [...actors.dialogs.values()]) actors.hangup(d);
  let h;
  for (let i = 0; i < 90; i++) {
    await sleep(500);
    for (const d of [...actors.dialogs.values()]) actors.hangup(d);
    h = await edge.health();
    if (h && h.engine.serverTransactions + h.engine.clientTransactions === 0 && i > 20) break;
  }
  console.log(JSON.stringify({ sent, n500, carrierInvites: actors.stats.carrierInvites, left: h && leftovers(h), rss: edge.rssMiB() }));
  for (const d of h?.engine.dialogSample ?? []) {
    const callId = String(d['id']).split(';')[0]!;
    console.log('DIALOG', JSON.stringify(d));
    for (const e of log.forCall(callId)) console.log('  ', e.who, e.from, JSON.stringify(e.ops), JSON.stringify(e.latin1.slice(0, 900)));
    console.log('  grep log:', callId);
  }
  for (const x of samples) console.log('500:', x);
  console.log('workdir', dir);
  src.close();
  carrier.close();
  await edge.stop();
  process.exit(0);
}
void main();
