/**
 * One bounded fuzz run: the edge and its carriers up, SIPp placing legitimate calls, the fuzzer
 * sending mutated requests and responses at a fixed rate until `messages` or `seconds` runs out,
 * then a settle phase (dialogs hung up, transactions left to end) and the checks. Findings (edge
 * exits, 500s, unhandled errors) are written to `dir` with the messages that led to them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCarriers } from '../bench/lib/carriers';
import { freePorts } from '../bench/lib/ports';
import { startUac } from '../bench/lib/sipp-run';
import { Actors } from './actors';
import { inDialogRequest, newRequest, strayResponse } from './corpus';
import { Edge, leftovers, nothingLeft, scanLog, type EdgeHealth, type LogScan, type MemorySample } from './edge';
import { mutate } from './mutate';
import { CarrierServer, counters, TcpSource, UdpSource, type Link, type NetCounters } from './net';
import { Rng } from './prng';
import { SentLog, type SentEntry } from './sent-log';

export interface FuzzOptions {
  seed: number;
  messages: number;
  seconds: number;
  /** Fuzz messages per second (mutated and clean, not counting replies). */
  rate: number;
  /** Legitimate SIPp calls per second alongside. */
  legitRate: number;
  settleSeconds: number;
  /** Write heap snapshots of the edge at the start, the baseline and the end into the work directory (slow: an investigation). */
  heapSnapshots?: boolean;
  /** Sample the edge's memory after a forced GC (default true; the short run in npm test saves its ~2 s). */
  sampleMemory?: boolean;
  dir: string;
  say(line: string): void;
}

export interface Finding {
  kind: 'exit' | '500' | 'leftover' | 'parser';
  at: number;
  detail: string;
  file: string;
}

export interface FuzzResult {
  options: Omit<FuzzOptions, 'say' | 'dir'>;
  sent: { total: number; mutated: number; udp: number; tcp: number; carrierResponses: number; carrierMutated: number; sendErrors: number };
  ops: Record<string, number>;
  wallSeconds: number;
  edge: { exits: number; rssBeforeMiB: number; rssAfterMiB: number; rssPeakMiB: number; after: EdgeHealth | undefined; settledMs: number; countsZero: boolean;
    /** After a forced full GC (fuzz/edge-memory.cjs): before any traffic, at the RSS baseline, after the settle. */
    memory: { start?: MemorySample; before?: MemorySample; after?: MemorySample };
    /** RSS every 10 s of fuzzing, [seconds, MiB]: growth without end is a leak, a plateau is a heap at its working size. */
    rssSeries: Array<[number, number]> };
  statuses: Record<string, number>;
  serverErrors500: number;
  /** 500s RFC 3261 requires: §12.2.2 (in-dialog CSeq not above the last one) and §14.2 (re-INVITE while one is open, with Retry-After). */
  rfcMandated500: number;
  /** 500s to the caller that relay a class-5 final the fuzz carrier sent (a mutation of its response). */
  relayedCarrier5xx: number;
  /** Of serverErrors500: INVITEs whose body the edge could not read as SDP (issue 9, helper 'call' fixes: never a 500). */
  nonSdpOffer500: number;
  dialogsFormed: number;
  tcp: { connects: number; closedByEdge: number };
  legit: { calls: number; successful: number; failed: number; successPct: number };
  log: LogScan;
  findings: Finding[];
}

const SOURCES_UDP = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
const SOURCES_TCP = ['127.0.0.8', '127.0.0.9', '127.0.0.10', '127.0.0.11'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A 500 the RFC requires is not an input-caused failure: §12.2.2, an in-dialog request whose CSeq is
 * not above one we sent earlier in the call; §14.2, a re-INVITE while an INVITE is still open, and
 * RFC 3311 §5.2, an UPDATE while an offer is outstanding (both answered 500 with Retry-After).
 */
export function rfcMandated500(response: string, callId: string, log: SentLog): boolean {
  const cseq = /\r\ncseq[ \t]*:[ \t]*(\d+)[ \t]+(\S+)/i.exec(response);
  if (!cseq) return false;
  const inDialog = /\r\n(?:to|t)[ \t]*:[^\r\n]*;\s*tag=/i.test(response);
  if (log.wasOutOfOrder(callId, cseq[1]!, cseq[2]!)) return true;
  // §14.2 (re-INVITE) and RFC 3311 §5.2 (UPDATE while an offer is outstanding): 500 with Retry-After.
  return inDialog && (cseq[2] === 'INVITE' || cseq[2] === 'UPDATE') && /\r\nretry-after[ \t]*:/i.test(response);
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const rng = new Rng(o.seed);
  const c: NetCounters = counters();
  const findings: Finding[] = [];
  let parserThrew = 0;
  // The edge's own parser throwing on what we sent (the sent log reads every request with it) is a
  // parser bug whatever the edge did with the message; the first few are kept.
  const log = new SentLog(undefined, undefined, (message, entry) => {
    if (++parserThrew <= 5) save('parser', `src/sip/parser threw: ${message}`, [entry]);
  });
  const ops: Record<string, number> = {};
  let serverErrors = 0;
  let mandated500 = 0;
  let relayedCarrier5xx = 0;
  const callIds500: string[] = [];
  const save = (kind: Finding['kind'], detail: string, entries: SentEntry[], extra: Record<string, unknown> = {}): void => {
    const file = path.join(o.dir, `finding-${findings.length + 1}-${kind}.json`);
    writeFileSync(file, `${JSON.stringify({ kind, detail, seed: o.seed, ...extra, sent: entries }, null, 1)}\n`);
    findings.push({ kind, at: Date.now(), detail, file });
    o.say(`finding: ${kind} ${detail} → ${file}`);
  };

  const carriers = await startCarriers();
  const fuzzCarrierHost = '127.0.0.1';
  const edgeEndpoint = { host: '127.0.0.1', port: 0, transport: 'UDP' as const };
  const edgeUri = (): string => `sip:127.0.0.1:${edgeEndpoint.port}`;
  const actors = new Actors(rng, log, 200, (response: string) => {
    const callId = /\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(response)?.[1]?.trim() ?? '';
    if (rfcMandated500(response, callId, log)) {
      mandated500++;
      return;
    }
    // An initial INVITE's 500 that relays the fuzz carrier's own (mutated) 5xx final.
    if (/\r\ncseq[ \t]*:[ \t]*\d+[ \t]+INVITE/i.test(response) && actors.carrierSent5xxFor(response)) {
      relayedCarrier5xx++;
      return;
    }
    serverErrors++;
    if (callIds500.length < 10_000) callIds500.push(callId);
    if (serverErrors <= 50) save('500', `500 for Call-ID ${callId}`, log.forCall(callId), { response, recent: log.recent().slice(-30) });
  });
  const carrier = await new CarrierServer(fuzzCarrierHost, actors.onCarrier, c).open();
  const edge = new Edge({ dir: o.dir, legit: carriers.list, fuzzCarrierPort: carrier.port, allow: '127.0.0.1/32,127.0.0.0/28', ...(o.heapSnapshots ? { heapSnapshotDir: o.dir } : {}) });
  let exits = 0;
  let restarting: Promise<void> | undefined;
  edge.onCrash = (how) => {
    exits++;
    save('exit', `trunkwise ${how}`, log.recent(), { logTail: scanLog(edge.logFile).unhandledSamples });
    restarting = edge.start().catch((err: Error) => o.say(`restart failed: ${err.message}`));
  };
  await edge.start();
  const memory: FuzzResult['edge']['memory'] = {};
  // A GC answers in well under a second; a heap snapshot of a large heap takes a while.
  const memoryWaitMs = o.heapSnapshots ? 180_000 : 20_000;
  const sampleMemory = o.sampleMemory ?? true;
  if (sampleMemory) memory.start = await edge.memory(memoryWaitMs);
  edgeEndpoint.port = edge.sipPort;
  actors.edgeUri = edgeUri();
  const target = { host: '127.0.0.1', port: edge.sipPort };
  const udp = await Promise.all(SOURCES_UDP.map((h) => new UdpSource(h, target, actors.onCaller, c).open()));
  const tcp = SOURCES_TCP.map((h) => new TcpSource(h, target, actors.onCaller, c));
  for (const t of tcp) t.ready();
  actors.fallback = udp[0];

  const legitCalls = Math.max(1, Math.round(o.legitRate * o.seconds));
  const [uacPort] = (await freePorts(1)) as [number];
  const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${edge.sipPort}`, localPort: uacPort, rate: o.legitRate, calls: legitCalls, holdMs: 500,
    boundMs: (o.seconds + 30) * 1000, recvTimeoutMs: 10_000 });

  await sleep(1500);
  // The RSS baseline is taken after a warm-up of fuzz traffic (5 % of the messages, at most 30 s):
  // the heap's first growth is not a leak.
  let rssBefore = 0;
  const warmup = Math.min(o.messages * 0.05, o.rate * 30);
  let rssPeak = edge.rssMiB();
  const rssSeries: Array<[number, number]> = [];
  const t0 = Date.now();
  let sent = 0;
  let mutated = 0;
  let lastSay = t0;
  const sendOne = (): void => {
    const roll = rng.float();
    let link: Link;
    let m;
    let who = 'caller';
    if (roll < 0.18 && actors.dialogs.size) {
      // In-dialog request for a live dialog, on the side that holds it.
      const dlgs = [...actors.dialogs.values()];
      const dlg = rng.pick(dlgs);
      link = dlg.link;
      who = dlg.side;
      if (rng.chance(0.1)) return actors.hangup(dlg);
      m = mutate(inDialogRequest(rng, link.me, dlg, dlg.fromUri, dlg.toUri), rng, 0.3);
    } else if (roll < 0.25) {
      link = rng.pick(udp);
      m = mutate(strayResponse(rng, link.me, edgeEndpoint), rng, 0.2);
      who = 'stray';
    } else {
      const overTcp = rng.chance(0.25);
      const t = overTcp ? rng.pick(tcp) : undefined;
      link = t && t.ready() ? t : rng.pick(udp);
      m = mutate(newRequest(rng, link.me, edgeEndpoint), rng, 0.15);
    }
    for (const op of m.ops) ops[op] = (ops[op] ?? 0) + 1;
    if (m.ops.length) mutated++;
    sent++;
    log.add(who, link.me, m.bytes, m.ops);
    link.send(m.bytes);
  };

  while (sent < o.messages && Date.now() - t0 < o.seconds * 1000) {
    if (restarting) {
      await restarting;
      restarting = undefined;
    }
    if (!rssBefore && sent >= warmup) {
      rssBefore = edge.rssMiB();
      if (sampleMemory) void edge.memory(memoryWaitMs).then((m) => void (memory.before = m));
    }
    const due = Math.min(o.messages, Math.floor(((Date.now() - t0) / 1000) * o.rate));
    for (let k = 0; sent < due && k < 2000; k++) sendOne();
    // Dialogs live a few seconds, then a clean BYE.
    for (const d of actors.dialogs.values()) if (Date.now() - d.bornAt > 3000) actors.hangup(d);
    if (Date.now() - lastSay > 10_000) {
      lastSay = Date.now();
      rssPeak = Math.max(rssPeak, edge.rssMiB());
      rssSeries.push([Math.round((Date.now() - t0) / 1000), edge.rssMiB()]);
      o.say(`${Math.round((Date.now() - t0) / 1000)} s: ${sent} sent (${mutated} mutated), ${serverErrors} × 500, ${exits} exits, RSS ${edge.rssMiB()} MiB, legit ${JSON.stringify(uac.progress().successful)} ok / ${uac.progress().failed} failed`);
    }
    await sleep(10);
  }
  const wallSeconds = (Date.now() - t0) / 1000;
  if (!rssBefore) rssBefore = rssPeak;
  o.say(`fuzzing done: ${sent} messages in ${wallSeconds.toFixed(1)} s; settling`);
  rssPeak = Math.max(rssPeak, edge.rssMiB());
  actors.calm = true;
  for (const d of [...actors.dialogs.values()]) actors.hangup(d);
  const legit = await uac.done;
  // Settle: every transaction and dialog must end (timer H/J/F are 32 s at most).
  const settleStart = Date.now();
  let after: EdgeHealth | undefined;
  let zero = false;
  // Done when all is 0 — or when the transactions are and what is left has not moved for 10 s (a leak, reported as such).
  let stable = { key: '', since: Date.now() };
  while (Date.now() - settleStart < o.settleSeconds * 1000) {
    // A call answered after the sweep above (its carrier's 200 was still on its way) forms a dialog
    // on each side that nobody would hang up: both sides end theirs here too.
    for (const d of [...actors.dialogs.values()]) actors.hangup(d);
    after = await edge.health();
    zero = nothingLeft(after);
    if (zero) break;
    const left = after && leftovers(after);
    const key = JSON.stringify(left ?? {});
    if (key !== stable.key) stable = { key, since: Date.now() };
    if (left && left.server + left.client === 0 && Date.now() - stable.since > 10_000) break;
    await sleep(500);
  }
  const settledMs = Date.now() - settleStart;
  // What is left, with what we last sent in each call that still holds a transaction (findings #8).
  if (after && !zero) {
    const stale = after.engine.staleTransactions ?? [];
    const calls = [...new Set(stale.map((s) => String(s['callId'] ?? '')))].filter(Boolean);
    save('leftover', `left after the settle: ${JSON.stringify(leftovers(after))}`, calls.flatMap((id) => log.forCall(id)), { stale, dialogs: after.engine.dialogSample ?? [] });
  }
  const rssAfter = edge.rssMiB();
  if (sampleMemory) memory.after = await edge.memory(memoryWaitMs);
  for (const s of udp) s.close();
  for (const t of tcp) t.close();
  carrier.close();
  await edge.stop();
  await carriers.stop();
  const scan = scanLog(edge.logFile, callIds500);
  const legitDone = legit.successful + legit.failed;
  return {
    options: { seed: o.seed, messages: o.messages, seconds: o.seconds, rate: o.rate, legitRate: o.legitRate, settleSeconds: o.settleSeconds },
    sent: { total: sent, mutated, udp: c.udpSent, tcp: c.tcpSent, carrierResponses: actors.stats.carrierResponses, carrierMutated: actors.stats.carrierMutated, sendErrors: c.sendErrors },
    ops, wallSeconds,
    edge: { exits, rssBeforeMiB: rssBefore, rssAfterMiB: rssAfter, rssPeakMiB: rssPeak, after, settledMs, countsZero: zero, memory, rssSeries },
    statuses: actors.stats.statuses, serverErrors500: serverErrors, rfcMandated500: mandated500, relayedCarrier5xx, nonSdpOffer500: scan.nonSdpOffer, dialogsFormed: actors.stats.dialogsFormed,
    tcp: { connects: c.tcpConnects, closedByEdge: c.tcpClosedByEdge },
    legit: { calls: legitCalls, successful: legit.successful, failed: legit.failed, successPct: legitDone ? (100 * legit.successful) / Math.max(legitCalls, legitDone) : 0 },
    log: scan, findings,
  };
}
