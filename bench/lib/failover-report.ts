/** bench/results/failover.md + failover.json + failover-timeline.png, from bench/failover.bench.ts. */
import path from 'node:path';
import type { FailoverOptions, FailoverRun } from '../failover.bench';
import type { MachineInfo } from './machine';
import { writeChartPng, type Series } from './plot';
import { header, n, table, writeResult } from './report';
import { COLORS, LABEL } from './e2e-report';

export function failoverMethod(o: FailoverOptions): string[] {
  return [
    `Same caller, carriers and system configurations as the e2e benchmark (e2e.md). ${o.rate} calls/s with ${o.holdMs} ms holds for ${o.warmS + o.silentS + o.afterS} s (${o.rate * (o.warmS + o.silentS + o.afterS)} calls), each system on its own, after a 50-call smoke check.`,
    `At ${o.warmS} s ${o.carrier} (weight 30, the largest share) is silenced: SIGSTOP to its SIPp, so it answers neither INVITEs nor OPTIONS — the same for both systems. At ${o.warmS + o.silentS} s it gets SIGCONT (and then also answers what queued in its socket meanwhile).`,
    'Everything on the system\'s SIP port is captured on `lo` (dumpcap, kernel timestamps) and analysed per Call-ID.',
    'Calls failed: SIPp\'s FailedCall. From the capture: setups failed (INVITE answered non-2xx or not at all) and BYEs not answered 200 (a proxy relays the caller\'s BYE to the silent carrier; a B2BUA answers it itself).',
    'Time until the last new INVITE reaches the dead carrier: last INVITE (new Call-ID/CSeq, retransmissions excluded) sent to it while silent, minus the moment of SIGSTOP. "Still sending" = new INVITEs within the last 2 s before SIGCONT.',
    'Extra setup delay: setup latency (as in e2e.md) of calls placed while the carrier was silent, minus the p50 of calls placed before; max and p99.',
    `Calls that hit the silenced carrier: calls with an attempt on ${o.carrier} started while it was silent — for trunkwise from its CDRs (a B2BUA gives the carrier leg its own Call-ID), for Kamailio from the capture (INVITEs it forwarded there; a proxy keeps the caller's Call-ID). Their extra setup delay (as above) p99 / max, and how many failed. Issue 13's target: p99 ≤ 500 ms, 0 failed.`,
    'Used again: first new INVITE to the carrier after SIGCONT, minus the moment of SIGCONT ("never" = not within the run).',
  ];
}

export async function writeFailover(dir: string, m: MachineInfo, o: FailoverOptions, runs: readonly FailoverRun[]): Promise<void> {
  const rows = runs.map((r) => {
    const f = r.facts;
    return [LABEL[r.system]!, r.sipp.calls, r.sipp.failed, f?.setupFailed ?? '—', f?.byeFailed ?? '—', r.sipp.retransmissions, f?.newInvitesToDeadDuringSilence ?? '—',
      f ? (f.lastInviteToDeadAfterMs === undefined ? 'none sent' : `${n(f.lastInviteToDeadAfterMs)} ms${f.stillSendingAtRestore ? ' (still sending at restore)' : ''}`) : '—',
      f ? `${n(f.extraDelayMaxMs)} / ${n(f.extraDelayP99Ms)}` : '—', f?.delayedOver1s ?? '—', f ? (f.usedAgainAfterMs === undefined ? `never (within ${o.afterS} s)` : `${n(f.usedAgainAfterMs)} ms`) : '—',
      `${n(f?.baselineSetupMs?.p50)} / ${n(f?.afterSetupMs?.p50)}`, r.error ?? ''];
  });
  const hitRows = runs.map((r) => {
    const h = r.hit;
    return [LABEL[r.system]!, h?.calls ?? '—', h?.failed ?? '—', h ? `${n(h.extraDelayMs?.p99)} / ${n(h.extraDelayMs?.max)}` : '—', h ? `${n(h.extraDelayMs?.p50)}` : '—', h?.source ?? '—'];
  });
  const md = [...header('Failover: one carrier silenced at 100 calls/s, trunkwise and Kamailio', m, failoverMethod(o)), '## Result', '',
    ...table(['system', 'calls', 'failed (SIPp)', 'setups failed', 'BYEs not 200', 'caller retrans', `new INVITEs to ${o.carrier} while silent`, 'last one after',
      'extra setup delay max / p99 ms', 'calls delayed > 1 s', 'used again after restore', 'setup p50 before / after ms', 'error'], rows),
    `## Calls that hit ${o.carrier} while it was silent`, '',
    ...table(['system', 'calls', 'failed', 'extra setup delay p99 / max ms', 'p50 ms', 'found in'], hitRows),
    '![failover timeline](failover-timeline.png)', ''];
  writeResult(dir, 'failover', md, { benchmark: 'failover', machine: m, method: failoverMethod(o), options: o, runs });
  const series: Series[] = runs.filter((r) => r.facts).flatMap((r) => [
    { name: `${LABEL[r.system]} slowest setup, ms`, color: COLORS[r.system]!, points: r.facts!.timeline.map((t) => [t.s, t.maxSetupMs] as [number, number]) },
    { name: `${LABEL[r.system]} new INVITEs/s to ${o.carrier} ×10`, color: COLORS[r.system]!, dashed: true, points: r.facts!.timeline.map((t) => [t.s, t.invitesToDead * 10] as [number, number]) },
  ]);
  await writeChartPng({ title: `Failover: ${o.carrier} silent from ${o.warmS} s to ${o.warmS + o.silentS} s`, subtitle: `${o.rate} calls/s, ${o.holdMs} ms holds · per second of calls placed`,
    xLabel: 'seconds since the caller started', yLabel: 'ms  /  INVITEs per s × 10', series }, path.join(dir, 'failover-timeline.png'));
}
