/**
 * From rtpengine's counters to trunkwise's media statistics. Pure.
 *
 * rtpengine 10.5 counts packets received per leg but does not track RTP sequence numbers for
 * loss, so "expected" and "lost" of a direction come from the receiving endpoint's RTCP receiver
 * reports: the caller's reports about the carrier's stream give the loss from the carrier, the
 * carrier's reports about the caller's stream the loss from the caller. That loss is end to end
 * (sender → rtpengine → receiver), taken as the loss of the direction; expected = received by
 * rtpengine + lost. Without reports, expected = received and lost = 0 in the CDR, and `sample`
 * says it cannot tell (undefined).
 */
import type { DirectionStats, MediaCdr, MediaSample } from '../../call/media-port';
import type { CallSnapshot, LegCounters, RtcpView } from './query';

/** What `receiver`'s endpoint reported (RTCP RR) about the stream it receives from the other leg. */
function viewOf(snap: CallSnapshot, receiver: LegCounters | undefined): RtcpView | undefined {
  return receiver?.ssrc === undefined ? undefined : snap.rtcp.get(receiver.ssrc);
}

export function direction(sender: LegCounters, report: RtcpView | undefined): DirectionStats {
  const received = sender.rtpPackets;
  const lost = report?.cumulativeLost ?? 0;
  const expected = received + lost;
  const d: DirectionStats = { expected, received, lost, fractionLost: expected > 0 ? lost / expected : 0, jitterMs: report?.jitterMs ?? 0 };
  if (report) d.rtcpFractionLost = report.fractionLost;
  return d;
}

export function toMediaCdr(snap: CallSnapshot, callerTag: string, carrierTag: string | undefined): MediaCdr {
  const cdr: MediaCdr = { mode: 'rtpengine' };
  const caller = snap.legs.get(callerTag);
  const carrier = carrierTag === undefined ? undefined : snap.legs.get(carrierTag);
  if (caller) cdr.fromCaller = direction(caller, viewOf(snap, carrier));
  if (carrier) cdr.fromCarrier = direction(carrier, viewOf(snap, caller));
  // rtpengine gives no first-packet time: from the call's creation (the offer) to the last packet.
  const last = Math.max(caller?.lastPacketMs ?? 0, carrier?.lastPacketMs ?? 0);
  if (last > 0 && snap.createdMs !== undefined) cdr.mediaDurationMs = Math.max(0, last - snap.createdMs);
  return cdr;
}

/** Cumulative totals of the carrier direction at the previous sample. */
export interface SampleBase {
  received: number;
  lost: number;
}

/**
 * The interval since `prev`: Δ(received + lost) expected, Δlost lost. Undefined when the caller has
 * sent no receiver report about the carrier's stream (nothing to compute loss from). A counter that
 * went backwards (new SSRC, reports reset) re-bases without reporting a negative interval.
 */
export function intervalSample(snap: CallSnapshot, callerTag: string, carrierTag: string, prev: SampleBase | undefined): { sample: MediaSample | undefined; base: SampleBase | undefined } {
  const carrier = snap.legs.get(carrierTag);
  const report = viewOf(snap, snap.legs.get(callerTag));
  if (!carrier || !report) return { sample: undefined, base: prev };
  const cur: SampleBase = { received: carrier.rtpPackets, lost: report.cumulativeLost };
  const p = prev ?? { received: 0, lost: 0 };
  const dReceived = Math.max(0, cur.received - p.received);
  const dLost = Math.max(0, cur.lost - p.lost);
  return { sample: { expected: dReceived + dLost, lost: dLost }, base: cur };
}
