/**
 * Failover benchmark, both systems in the same run (issue 6): 100 calls/s with 2 s holds through the
 * system; after WARM_S one carrier (carrier-a, the largest share) is silenced with SIGSTOP — its
 * SIPp stops answering INVITEs and OPTIONS alike — and SILENT_S later it gets SIGCONT. Everything on
 * the system's SIP port is captured on loopback and analysed (bench/lib/failover-analysis.ts).
 * Usage: npx tsx bench/failover.bench.ts   (normally run through bench/run.ts)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCapture } from './lib/capture';
import { analyseFailover, type FailoverFacts } from './lib/failover-analysis';
import { say, withProgress } from './lib/log';
import { readSipPackets, type SipPacket } from './lib/pcap';
import { callSetups } from './lib/setup-latency';
import { dist, r1, type Dist } from './lib/stats';
import { freePorts } from './lib/ports';
import { startUac } from './lib/sipp-run';
import type { SutName } from './lib/sut';
import { smokeCheck, withSystem } from './e2e.bench';

export interface FailoverOptions {
  systems: SutName[];
  rate: number;
  holdMs: number;
  warmS: number;
  silentS: number;
  afterS: number;
  carrier: string;
  kamailioChildren: number;
  keepFiles: boolean;
}

export const FAILOVER_DEFAULTS: FailoverOptions = {
  systems: ['trunkwise', 'kamailio'], rate: 100, holdMs: 2000, warmS: 10, silentS: 15, afterS: 12, carrier: 'carrier-a', kamailioChildren: 2, keepFiles: false,
};

export interface FailoverRun {
  system: SutName;
  describe: string;
  sipp: { calls: number; successful: number; failed: number; retransmissions: number };
  facts?: FailoverFacts;
  /** The calls that had an attempt on the silenced carrier while it was silent (issue 13's target: p99 ≤ 500 ms, 0 failed). */
  hit?: HitFacts;
  captureDropped: number;
  error?: string;
}

async function runOne(system: SutName, o: FailoverOptions): Promise<FailoverRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-failover-${system}-`));
  const run: FailoverRun = { system, describe: '', sipp: { calls: 0, successful: 0, failed: 0, retransmissions: 0 }, captureDropped: 0 };
  try {
    await withSystem(system, dir, o.kamailioChildren, async (sut, carriers) => {
      run.describe = sut.describe;
      const smoke = await smokeCheck(sut, carriers);
      if (smoke.successful !== smoke.calls) throw new Error(`${system}: smoke check failed (${smoke.successful}/${smoke.calls})`);
      const dead = carriers.list.find((c) => c.id === o.carrier)!;
      const [uacPort] = await freePorts(1);
      const cap = await startCapture(path.join(dir, 'failover.pcap'), `udp port ${sut.sipPort}`);
      const totalS = o.warmS + o.silentS + o.afterS;
      const calls = o.rate * totalS;
      say(`${system}: ${o.rate} calls/s, hold ${o.holdMs} ms, ${calls} calls; ${o.carrier} silenced (SIGSTOP) at ${o.warmS} s, back (SIGCONT) at ${o.warmS + o.silentS} s`);
      const t0 = Date.now();
      const uac = startUac({ scenario: 'uac-bench-call.xml', remote: `127.0.0.1:${sut.sipPort}`, localPort: uacPort!, rate: o.rate, calls, holdMs: o.holdMs,
        boundMs: (totalS + 30) * 1000, recvTimeoutMs: 20_000 });
      let stopMs = 0;
      let resumeMs = 0;
      const t1 = setTimeout(() => {
        carriers.silence(o.carrier);
        stopMs = Date.now();
        say(`  ${o.carrier} silenced`);
      }, o.warmS * 1000);
      const t2 = setTimeout(() => {
        carriers.restore(o.carrier);
        resumeMs = Date.now();
        say(`  ${o.carrier} back`);
      }, (o.warmS + o.silentS) * 1000);
      const s = await withProgress(`${system} failover`, uac.done, () => {
        const p = uac.progress();
        return `${p.outgoing}/${calls} placed, ${p.successful} ok, ${p.failed} failed`;
      });
      clearTimeout(t1);
      clearTimeout(t2);
      carriers.restore(o.carrier);
      const capStats = await cap.stop();
      run.captureDropped = capStats.dropped;
      run.sipp = { calls, successful: s.successful, failed: s.failed, retransmissions: s.retransmissions };
      if (stopMs && resumeMs) {
        const pkts = readSipPackets(cap.file);
        run.facts = analyseFailover(pkts, { uacPort: uacPort!, sutPort: sut.sipPort, deadPort: dead.port, t0Ms: t0, stopMs, resumeMs });
        const cdrLog = path.join(dir, 'trunkwise.log');
        const ids = existsSync(cdrLog) ? hitByCdr(readFileSync(cdrLog, 'utf8'), o.carrier, stopMs, resumeMs) : hitByCapture(pkts, sut.sipPort, dead.port, stopMs, resumeMs);
        run.hit = hitFacts(pkts, uacPort!, sut.sipPort, ids, run.facts.baselineSetupMs?.p50 ?? 0);
      }
      say(`  ${failoverLine(run)}`);
    });
  } catch (err) {
    run.error = (err as Error).message;
    say(`${system}: ERROR ${run.error}`);
  } finally {
    if (!o.keepFiles) rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

export interface HitFacts {
  /** How they were found: trunkwise's CDRs (a B2BUA: the carrier leg has its own Call-ID) or the capture (a proxy keeps the caller's). */
  source: 'cdr' | 'capture';
  calls: number;
  failed: number;
  /** Their setup latency minus the p50 of calls placed before the silence. */
  extraDelayMs?: Dist;
}

/** Caller Call-IDs of calls with an attempt on `carrier` started while it was silent, from trunkwise's CDR lines. */
export function hitByCdr(log: string, carrier: string, stopMs: number, resumeMs: number): { source: 'cdr'; ids: Set<string> } {
  const ids = new Set<string>();
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"cdr"')) continue;
    try {
      const cdr = (JSON.parse(line) as { cdr?: { callId: string; attempts: Array<{ carrier: string; startedAt: number }> } }).cdr;
      if (cdr?.attempts.some((a) => a.carrier === carrier && a.startedAt >= stopMs && a.startedAt < resumeMs)) ids.add(cdr.callId);
    } catch {
      /* not a JSON line */
    }
  }
  return { source: 'cdr', ids };
}

/** Call-IDs of INVITEs the system sent to the silent carrier while it was silent (a proxy forwards the caller's Call-ID). */
export function hitByCapture(pkts: readonly SipPacket[], sutPort: number, deadPort: number, stopMs: number, resumeMs: number): { source: 'capture'; ids: Set<string> } {
  const ids = new Set<string>();
  for (const p of pkts) if (p.method === 'INVITE' && p.srcPort === sutPort && p.dstPort === deadPort && p.tUs >= stopMs * 1000 && p.tUs < resumeMs * 1000) ids.add(p.callId);
  return { source: 'capture', ids };
}

export function hitFacts(pkts: readonly SipPacket[], uacPort: number, sutPort: number, hit: { source: 'cdr' | 'capture'; ids: Set<string> }, baselineP50Ms: number): HitFacts {
  const calls = callSetups(pkts, uacPort, sutPort).filter((c) => hit.ids.has(c.callId));
  const ok = calls.filter((c) => c.status !== undefined && c.status < 300 && c.finalUs !== undefined);
  const extra = dist(ok.map((c) => r1((c.finalUs! - c.inviteUs) / 1000 - baselineP50Ms)));
  return { source: hit.source, calls: calls.length, failed: calls.length - ok.length, ...(extra && { extraDelayMs: extra }) };
}

export function failoverLine(r: FailoverRun): string {
  const f = r.facts;
  if (!f) return `${r.system}: no result${r.error ? ` (${r.error})` : ''}`;
  const h = r.hit;
  const hit = h ? `; ${h.calls} calls hit the silent carrier (${h.source}): ${h.failed} failed, extra setup delay p99 ${h.extraDelayMs?.p99 ?? '—'} ms / max ${h.extraDelayMs?.max ?? '—'} ms` : '';
  return `${r.system}: ${r.sipp.failed} failed of ${r.sipp.calls} (SIPp; capture: ${f.setupFailed} setups failed, ${f.byeFailed} BYEs not 200), `
    + `${f.newInvitesToDeadDuringSilence} new INVITEs to the silent carrier, last ${f.lastInviteToDeadAfterMs ?? '—'} ms after silence${f.stillSendingAtRestore ? ' (still sending when it came back)' : ''}, `
    + `extra setup delay max ${f.extraDelayMaxMs ?? '—'} ms / p99 ${f.extraDelayP99Ms ?? '—'} ms, ${f.delayedOver1s} calls > 1 s, used again ${f.usedAgainAfterMs ?? '—'} ms after it came back${hit}`;
}

export async function runFailover(o: FailoverOptions): Promise<FailoverRun[]> {
  const out: FailoverRun[] = [];
  for (const system of o.systems) out.push(await runOne(system, o));
  return out;
}

if (require.main === module) {
  void runFailover(FAILOVER_DEFAULTS).then((runs) => runs.forEach((r) => console.log(failoverLine(r))));
}
