/**
 * Failover benchmark, both systems in the same run (issue 6): 100 calls/s with 2 s holds through the
 * system; after WARM_S one carrier (carrier-a, the largest share) is silenced with SIGSTOP — its
 * SIPp stops answering INVITEs and OPTIONS alike — and SILENT_S later it gets SIGCONT. Everything on
 * the system's SIP port is captured on loopback and analysed (bench/lib/failover-analysis.ts).
 * Usage: npx tsx bench/failover.bench.ts   (normally run through bench/run.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCapture } from './lib/capture';
import { analyseFailover, type FailoverFacts } from './lib/failover-analysis';
import { say, withProgress } from './lib/log';
import { readSipPackets } from './lib/pcap';
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
      if (stopMs && resumeMs) run.facts = analyseFailover(readSipPackets(cap.file), { uacPort: uacPort!, sutPort: sut.sipPort, deadPort: dead.port, t0Ms: t0, stopMs, resumeMs });
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

export function failoverLine(r: FailoverRun): string {
  const f = r.facts;
  if (!f) return `${r.system}: no result${r.error ? ` (${r.error})` : ''}`;
  return `${r.system}: ${r.sipp.failed} failed of ${r.sipp.calls} (SIPp; capture: ${f.setupFailed} setups failed, ${f.byeFailed} BYEs not 200), `
    + `${f.newInvitesToDeadDuringSilence} new INVITEs to the silent carrier, last ${f.lastInviteToDeadAfterMs ?? '—'} ms after silence${f.stillSendingAtRestore ? ' (still sending when it came back)' : ''}, `
    + `extra setup delay max ${f.extraDelayMaxMs ?? '—'} ms / p99 ${f.extraDelayP99Ms ?? '—'} ms, ${f.delayedOver1s} calls > 1 s, used again ${f.usedAgainAfterMs ?? '—'} ms after it came back`;
}

export async function runFailover(o: FailoverOptions): Promise<FailoverRun[]> {
  const out: FailoverRun[] = [];
  for (const system of o.systems) out.push(await runOne(system, o));
  return out;
}

if (require.main === module) {
  void runFailover(FAILOVER_DEFAULTS).then((runs) => runs.forEach((r) => console.log(failoverLine(r))));
}
