/**
 * What a failover run's capture says: how long the system kept sending new INVITEs to the silenced
 * carrier, what it cost the calls placed meanwhile, and when the carrier was used again.
 */
import type { SipPacket } from './pcap';
import { callSetups, type CallSetup } from './setup-latency';
import { dist, r1, type Dist } from './stats';

export interface FailoverFacts {
  calls: number;
  /** Calls whose INVITE got a non-2xx final response, or none, from the system. */
  setupFailed: number;
  /** BYEs from the caller answered with anything but 200, or not at all. */
  byeFailed: number;
  newInvitesToDeadDuringSilence: number;
  /** Last new INVITE to the silenced carrier minus the moment it was silenced (ms); undefined if none was sent. */
  lastInviteToDeadAfterMs?: number;
  /** True when new INVITEs still reached the dead carrier in the last 2 s before it came back. */
  stillSendingAtRestore: boolean;
  /** First new INVITE to the carrier after it came back, minus that moment (ms). */
  usedAgainAfterMs?: number;
  baselineSetupMs?: Dist;
  /** Calls placed while the carrier was silent. */
  duringSetupMs?: Dist;
  extraDelayMaxMs?: number;
  extraDelayP99Ms?: number;
  delayedOver1s: number;
  afterSetupMs?: Dist;
  /** Per second since the caller started: new INVITEs to the dead carrier, and the slowest setup of calls placed that second. */
  timeline: Array<{ s: number; invitesToDead: number; maxSetupMs: number; failed: number }>;
}

export function analyseFailover(pkts: readonly SipPacket[], o: { uacPort: number; sutPort: number; deadPort: number; t0Ms: number; stopMs: number; resumeMs: number }): FailoverFacts {
  const stopUs = o.stopMs * 1000;
  const resumeUs = o.resumeMs * 1000;
  const seen = new Set<string>();
  const toDead: number[] = [];
  for (const p of pkts) {
    if (p.method !== 'INVITE' || p.srcPort !== o.sutPort || p.dstPort !== o.deadPort) continue;
    const k = `${p.callId}|${p.cseq}`;
    if (seen.has(k)) continue; // a retransmission, not a new INVITE
    seen.add(k);
    toDead.push(p.tUs);
  }
  const during = toDead.filter((t) => t >= stopUs && t < resumeUs);
  const after = toDead.filter((t) => t >= resumeUs);
  const calls = callSetups(pkts, o.uacPort, o.sutPort);
  const ok = (c: CallSetup): boolean => c.status !== undefined && c.status < 300;
  const ms = (c: CallSetup): number => (c.finalUs! - c.inviteUs) / 1000;
  const inWindow = (c: CallSetup, a: number, b: number): boolean => c.inviteUs >= a && c.inviteUs < b;
  const baseline = dist(calls.filter((c) => ok(c) && c.inviteUs < stopUs).map(ms));
  const duringD = dist(calls.filter((c) => ok(c) && inWindow(c, stopUs, resumeUs)).map(ms));
  const afterD = dist(calls.filter((c) => ok(c) && c.inviteUs >= resumeUs).map(ms));

  const byes = new Map<string, number | undefined>();
  for (const p of pkts) {
    if (p.method === 'BYE' && p.srcPort === o.uacPort && p.dstPort === o.sutPort && !byes.has(p.callId)) byes.set(p.callId, undefined);
    else if (p.cseqMethod === 'BYE' && p.status !== undefined && p.status >= 200 && p.srcPort === o.sutPort && p.dstPort === o.uacPort && byes.get(p.callId) === undefined && byes.has(p.callId)) byes.set(p.callId, p.status);
  }

  const t0Us = o.t0Ms * 1000;
  const seconds = Math.ceil(((calls[calls.length - 1]?.inviteUs ?? t0Us) - t0Us) / 1e6) + 1;
  const timeline = Array.from({ length: Math.max(0, Math.min(seconds, 600)) }, (_, s) => ({ s, invitesToDead: 0, maxSetupMs: 0, failed: 0 }));
  for (const t of toDead) {
    const b = timeline[Math.floor((t - t0Us) / 1e6)];
    if (b) b.invitesToDead++;
  }
  for (const c of calls) {
    const b = timeline[Math.floor((c.inviteUs - t0Us) / 1e6)];
    if (!b) continue;
    if (ok(c)) b.maxSetupMs = Math.max(b.maxSetupMs, r1(ms(c)));
    else b.failed++;
  }
  const base = baseline?.p50 ?? 0;
  return {
    calls: calls.length,
    setupFailed: calls.filter((c) => !ok(c)).length,
    byeFailed: [...byes.values()].filter((s) => s !== 200).length,
    newInvitesToDeadDuringSilence: during.length,
    ...(during.length && { lastInviteToDeadAfterMs: r1((during[during.length - 1]! - stopUs) / 1000) }),
    stillSendingAtRestore: during.some((t) => t >= resumeUs - 2e6),
    ...(after.length && { usedAgainAfterMs: r1((after[0]! - resumeUs) / 1000) }),
    ...(baseline && { baselineSetupMs: baseline }),
    ...(duringD && { duringSetupMs: duringD, extraDelayMaxMs: r1(duringD.max - base), extraDelayP99Ms: r1(duringD.p99 - base) }),
    delayedOver1s: calls.filter((c) => ok(c) && inWindow(c, stopUs, resumeUs) && ms(c) > 1000).length,
    ...(afterD && { afterSetupMs: afterD }),
    timeline,
  };
}
