/**
 * Setup latency as the IVR sees it, from a loopback capture: for each call (Call-ID), the time from
 * the first INVITE the caller sent to the system under test until the first final response to that
 * INVITE the system sent back to the caller. Kernel timestamps, µs resolution.
 */
import type { SipPacket } from './pcap';
import { dist, r1, type Dist } from './stats';

export interface CallSetup {
  callId: string;
  inviteUs: number;
  finalUs?: number;
  status?: number;
}

export interface SetupSummary {
  calls: number;
  answered: number;
  rejected: number;
  unanswered: number;
  /** Calls offered per second over the capture: (INVITEs − 1) / (last INVITE − first INVITE). */
  achievedCps: number;
  /** ms, answered calls only. */
  latencyMs?: Dist;
}

export function callSetups(pkts: readonly SipPacket[], uacPort: number, sutPort: number): CallSetup[] {
  const calls = new Map<string, CallSetup>();
  for (const p of pkts) {
    if (p.method === 'INVITE' && p.srcPort === uacPort && p.dstPort === sutPort) {
      if (!calls.has(p.callId)) calls.set(p.callId, { callId: p.callId, inviteUs: p.tUs });
    } else if (p.status !== undefined && p.status >= 200 && p.cseqMethod === 'INVITE' && p.srcPort === sutPort && p.dstPort === uacPort) {
      const c = calls.get(p.callId);
      if (c && c.finalUs === undefined) {
        c.finalUs = p.tUs;
        c.status = p.status;
      }
    }
  }
  return [...calls.values()].sort((a, b) => a.inviteUs - b.inviteUs);
}

export function summarise(calls: readonly CallSetup[]): SetupSummary {
  const ok = calls.filter((c) => c.status !== undefined && c.status < 300);
  const spanS = calls.length > 1 ? (calls[calls.length - 1]!.inviteUs - calls[0]!.inviteUs) / 1e6 : 0;
  const latencyMs = dist(ok.map((c) => (c.finalUs! - c.inviteUs) / 1000));
  return {
    calls: calls.length,
    answered: ok.length,
    rejected: calls.filter((c) => c.status !== undefined && c.status >= 300).length,
    unanswered: calls.filter((c) => c.status === undefined).length,
    achievedCps: spanS > 0 ? r1((calls.length - 1) / spanS) : 0,
    ...(latencyMs && { latencyMs }),
  };
}

/**
 * The carriers' part of setup latency: per outbound INVITE (system → carrier, first transmission)
 * until the carrier's first final response to it. The same SIPp carriers serve both systems, so this
 * is common to both; setup latency minus it is roughly what the system itself adds.
 */
export function carrierAnswerMs(pkts: readonly SipPacket[], uacPort: number, sutPort: number): Dist | undefined {
  const sent = new Map<string, number>();
  const times: number[] = [];
  for (const p of pkts) {
    if (p.method === 'INVITE' && p.srcPort === sutPort && p.dstPort !== uacPort) {
      const k = `${p.callId}|${p.dstPort}|${p.cseq}`;
      if (!sent.has(k)) sent.set(k, p.tUs);
    } else if (p.status !== undefined && p.status >= 200 && p.cseqMethod === 'INVITE' && p.dstPort === sutPort && p.srcPort !== uacPort) {
      const k = `${p.callId}|${p.srcPort}|${p.cseq}`;
      const t = sent.get(k);
      if (t !== undefined) {
        times.push((p.tUs - t) / 1000);
        sent.delete(k);
      }
    }
  }
  return dist(times);
}
