/**
 * One synthetic media probe call: an INVITE to one carrier's test number (never routed, never
 * cranked back), with the edge's own RTP endpoint behind the relay, so the carrier's media takes
 * the same path customer calls' media does. The call is held for `durationMs`, sampled every
 * `sampleEveryMs` (RTP loss from the carrier, as the relay measures it), then hung up.
 *
 * Whose fault: only the carrier's answer can charge the carrier. No relay port, no RTP port, an
 * exception, a stop (shutdown) or a timer that fired late because the edge stalled are the edge's own
 * failures: `local`, never charged. A final the test number itself chose (404, 486, 603 …) is a
 * configuration problem, `rejected`, not charged either.
 */
import type Srf from 'drachtio-srf';
import type { CallSipPort, SentInvite } from '../call/sip-port';
import type { CallMediaSession, DirectionStats, MediaAnchor, MediaSample } from '../call/media-port';
import { mediaTarget } from '../media/sdp';

/** The probe's own RTP endpoint (src/sim/ivr's RtpLeg fits). */
export interface ProbeRtp {
  readonly port: number;
  start(target: { address: string; port: number; payloadType: number }): void;
  stopSending(): void;
  close(): Promise<void>;
}

export interface ProbeCallDeps {
  sip: CallSipPort;
  /** The relay (media: relay), as customer calls use it. */
  anchor: MediaAnchor;
  /** The probe's RTP address (the relay's bind address) and a fresh endpoint on it. */
  rtpAddress: string;
  openRtp(): Promise<ProbeRtp>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface ProbeCallSpec {
  readonly callId: string;
  readonly carrier: string;
  readonly uri: string;
  readonly auth?: { username: string; password: string };
  readonly durationMs: number;
  readonly setupTimeoutMs: number;
  readonly sampleEveryMs: number;
  /** True once the probes are stopping: the call ends at the next step and counts as local. */
  stopped(): boolean;
  /** Interval loss from the carrier while the call is up. */
  onSample(s: MediaSample): void;
}

export type ProbeCallResult =
  | { outcome: 'answered'; setupMs: number; heldMs: number; fromCarrier?: DirectionStats; fromCaller?: DirectionStats }
  | { outcome: 'failed'; status: number; reason: string; setupMs: number }
  | { outcome: 'rejected'; status: number; reason: string; setupMs: number }
  | { outcome: 'local'; reason: string };

/** A timer later than this says the edge itself stalled: what it measured is not the carrier's. */
const LATE_TIMER_MS = 1000;

export async function placeProbeCall(d: ProbeCallDeps, p: ProbeCallSpec): Promise<ProbeCallResult> {
  let media: CallMediaSession | undefined;
  let rtp: ProbeRtp | undefined;
  try {
    try {
      media = await d.anchor.open(p.callId, p.callId);
      rtp = await d.openRtp();
    } catch (err) {
      return { outcome: 'local', reason: `no media for the probe: ${(err as Error).message}` };
    }
    const offer = await media.offer(localOffer(d.rtpAddress, rtp.port), p.carrier);
    const setup = await invite(d, p, offer);
    if (setup.kind !== 'answered') return setup.result;
    const { dialog, setupMs } = setup;
    let hungUp = false;
    dialog.on('destroy', () => void (hungUp = true));
    try {
      const answer = mediaTarget(await media.answer(dialog.remote.sdp, p.carrier));
      if (!answer.ok) return { outcome: 'local', reason: `the relay's answer is unreadable: ${answer.error.message}` };
      rtp.start({ address: answer.value.address, port: answer.value.rtpPort, payloadType: 0 });
      const up = d.now();
      while (!hungUp && !p.stopped() && d.now() - up < p.durationMs) {
        await d.sleep(Math.min(p.sampleEveryMs, p.durationMs - (d.now() - up)));
        const s = await media.sample(d.now());
        if (s && s.expected > 0 && !p.stopped()) p.onSample(s);
      }
      rtp.stopSending();
      const heldMs = d.now() - up;
      if (p.stopped()) return { outcome: 'local', reason: 'probes stopped (shutdown or reload) while the call was up' };
      if (hungUp) return { outcome: 'failed', status: 0, reason: `the carrier hung up after ${heldMs} ms of ${p.durationMs}`, setupMs };
      const st = await media.stats();
      return { outcome: 'answered', setupMs, heldMs, ...(st.fromCarrier && { fromCarrier: st.fromCarrier }), ...(st.fromCaller && { fromCaller: st.fromCaller }) };
    } finally {
      if (!hungUp) await hangUp(dialog);
    }
  } catch (err) {
    return { outcome: 'local', reason: `probe call failed inside trunkwise: ${(err as Error).message}` };
  } finally {
    await rtp?.close();
    await media?.close();
  }
}

type Setup = { kind: 'answered'; dialog: Srf.Dialog; setupMs: number } | { kind: 'ended'; result: ProbeCallResult };

/** INVITE with a set-up timeout (CANCEL once sent); the outcome classed by whose fault it was. */
async function invite(d: ProbeCallDeps, p: ProbeCallSpec, sdp: string): Promise<Setup> {
  const t0 = d.now();
  let sent: SentInvite | undefined;
  let timedOut = false;
  let late = 0;
  const timer = setTimeout(() => {
    timedOut = true;
    late = d.now() - t0 - p.setupTimeoutMs;
    sent?.cancel();
  }, p.setupTimeoutMs);
  try {
    const dialog = await d.sip.createUac(p.uri, {
      localSdp: sdp, headers: { Subject: 'trunkwise synthetic media probe', 'X-Trunkwise-Synthetic': '1' }, ...(p.auth && { auth: p.auth }),
    }, { onSent: (s) => void (sent = s), onProvisional: () => undefined });
    if (timedOut || p.stopped()) {
      await hangUp(dialog);
      return { kind: 'ended', result: { outcome: 'local', reason: timedOut ? 'answered after the probe gave up' : 'probes stopped' } };
    }
    return { kind: 'answered', dialog, setupMs: d.now() - t0 };
  } catch (err) {
    const setupMs = d.now() - t0;
    const status = (err as { status?: unknown }).status;
    if (p.stopped()) return { kind: 'ended', result: { outcome: 'local', reason: 'probes stopped' } };
    if (timedOut) {
      return { kind: 'ended', result: late > LATE_TIMER_MS
        ? { outcome: 'local', reason: `the set-up timer fired ${late} ms late: the edge stalled` }
        : { outcome: 'failed', status: 408, reason: `no answer within ${p.setupTimeoutMs} ms`, setupMs } };
    }
    if (typeof status !== 'number') return { kind: 'ended', result: { outcome: 'local', reason: `the SIP stack refused the probe INVITE: ${(err as Error).message}` } };
    const reason = `${status} ${String((err as { reason?: unknown }).reason ?? '')}`.trim();
    if (status === 408 || status >= 500 && status < 600) return { kind: 'ended', result: { outcome: 'failed', status, reason, setupMs } };
    return { kind: 'ended', result: { outcome: 'rejected', status, reason, setupMs } };
  } finally {
    clearTimeout(timer);
  }
}

/** BYE, waiting for its answer (or its failure) so no dialog outlives the probe. */
function hangUp(dialog: Srf.Dialog): Promise<void> {
  return new Promise((resolve) => {
    try {
      dialog.destroy({ headers: {} }, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** A PCMU offer for the probe's RTP endpoint (what the relay then offers the carrier as its own). */
function localOffer(address: string, port: number): string {
  const ip = address.includes(':') ? 'IP6' : 'IP4';
  const id = Date.now();
  return ['v=0', `o=trunkwise-probe ${id} 1 IN ${ip} ${address}`, 's=trunkwise synthetic probe', `c=IN ${ip} ${address}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}
