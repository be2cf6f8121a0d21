/**
 * A real SIP user agent as the IVR: baresip (Debian 1.0.0) places calls through trunkwise (a child
 * process, relay media) to a simulated carrier that echoes RTP and sends RTCP. What it proves:
 *  - audio by content: the tone the IVR sends comes back through the relay, carrier and relay again
 *    as the dominant frequency of what the IVR recorded;
 *  - RTCP both ways, each where the SDP says: baresip offers a=rtcp-mux, the simulator declines it —
 *    the issue-15 case — so RTCP reaches the IVR on its RTP port and the carrier on its RTCP port;
 *    and with a non-muxing IVR on the IVR's RTCP port;
 *  - hold / resume by re-INVITE from the IVR: the direction reaches the carrier and comes back,
 *    media flows again after the resume;
 *  - hang-up from the IVR and from the carrier: relay sessions, relay ports, engine dialogs and
 *    (after the RFC 3261 timer J / K windows) engine transactions back to 0.
 */
import t from 'tap';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../src/sim';
import { startTrunkwise, cdrs, type Trunkwise } from '../helpers/trunkwise-process';
import { audioDirection, baresipAvailable, callsReleased, callTallies, misdeliveredRtcp, rtpReceivedNow, startBaresip, waitHealth, type Baresip } from '../helpers/baresip';
import { analyseTone, readWav } from '../helpers/tones';
import type { MediaCdr } from '../../src/call/media-port';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const IVR_HZ = 770;
const ROUTE = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }]
    maxAttempts: 1
    media: relay
`;

interface Bench { sim: Simulator; tw: Trunkwise; ivrs: Baresip[] }

async function bench(): Promise<Bench> {
  const sim = await startSimulator({ carriers: [{ id: 'carrier-a', host: '127.0.0.1', port: 0, transport: 'udp', behaviour: { rtp: 'echo' } }], seed: 15 });
  let tw: Trunkwise | undefined;
  try {
    tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: sim.get('carrier-a').port, weight: 100 }], routes: { '99-default.yaml': ROUTE } });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return { sim, tw, ivrs: [] };
}

const mediaOf = (tw: Trunkwise, callId: string | undefined): MediaCdr | undefined =>
  (cdrs(tw.logs) as unknown as Array<{ callId: string; media?: MediaCdr }>).find((c) => c.callId === callId)?.media;

/** The Call-ID of the IVR's latest call, from its events. */
const lastCallId = (ua: Baresip): string | undefined => [...ua.events].reverse().find((e) => e.type === 'CALL_ESTABLISHED')?.id;

t.test('baresip IVR → trunkwise → simulated carrier (echo)', { skip: baresipAvailable() ? false : 'baresip is not installed: run scripts/setup.sh media' }, async (t) => {
  const b = await bench();
  t.teardown(async () => {
    await Promise.all(b.ivrs.map((u) => u.stop()));
    await b.tw.stop();
    await b.sim.stop();
    rmSync(path.dirname(b.tw.carriersFile), { recursive: true, force: true });
  });
  const dial = `sip:15550001@127.0.0.1:${b.tw.sipPort}`;

  await t.test('rtcp-mux offered, declined by the carrier: echoed tone by content, RTCP both ways, hold / resume, IVR hangs up', async (t) => {
    const ivr = await startBaresip({ name: 'ivr-mux', toneHz: IVR_HZ, rtcpMux: true });
    b.ivrs.push(ivr);
    const rtpBefore = b.sim.stats('carrier-a').rtpReceived;
    t.ok((await ivr.command('dial', dial)).ok, 'dialled');
    await ivr.waitEvent('CALL_ESTABLISHED', 10_000);
    await sleep(6000); // past the first RTCP interval on both sides
    t.equal(await audioDirection(ivr), 'sendrecv', 'talking: sendrecv');

    const beforeHold = await rtpReceivedNow(ivr);
    const holdAt = Date.now();
    t.ok((await ivr.command('hold')).ok, 'hold');
    await ivr.waitEvent('CALL_REMOTE_SDP', 5000, (e) => e.param === 'answer', holdAt);
    await sleep(300);
    t.equal(await audioDirection(ivr), 'sendonly', 'on hold: the carrier’s recvonly answer came back through the relay');
    const rtpAtHold = b.sim.stats('carrier-a').rtpReceived;
    await sleep(2000);
    const resumeAt = Date.now();
    t.ok((await ivr.command('resume')).ok, 'resume');
    await ivr.waitEvent('CALL_REMOTE_SDP', 5000, (e) => e.param === 'answer', resumeAt);
    await sleep(300);
    t.equal(await audioDirection(ivr), 'sendrecv', 'resumed: sendrecv again');
    await sleep(3000);
    t.ok(b.sim.stats('carrier-a').rtpReceived - rtpAtHold > 0.5 * 50 * 3, 'the carrier receives the IVR’s RTP again after the resume');

    const callId = lastCallId(ivr);
    t.ok((await ivr.command('hangup')).ok, 'IVR hangs up');
    await ivr.waitEvent('CALL_CLOSED', 5000);
    const h = await waitHealth(b.tw.admin, callsReleased, 5000);
    t.same([h.activeCalls, h.media.sessions, h.media.portsInUse, h.engine.dialogs], [0, 0, 0, 0], 'no call, relay session, relay port or engine dialog left');

    // Audio by content: the IVR's own tone came back (baresip 1.0.0 stops recording at the first
    // re-INVITE, so the recording covers the call up to the hold).
    const rec = await ivr.finishedRecording();
    t.ok(rec, 'the IVR recorded the call');
    if (rec) {
      const tone = analyseTone(readWav(rec), IVR_HZ);
      t.ok(tone.blocks - tone.silent >= 6 && tone.matching >= 0.9 * (tone.blocks - tone.silent),
        `the IVR heard its ${IVR_HZ} Hz tone echoed: ${tone.matching}/${tone.blocks - tone.silent} audible half-seconds at ${tone.medianHz.toFixed(0)} Hz`);
    }
    const tally = callTallies(ivr.output()).at(-1);
    t.ok(beforeHold > 100 && (tally?.received ?? 0) - beforeHold > 0.5 * 50 * 3, `the IVR received ${beforeHold} packets before the hold and ${(tally?.received ?? 0) - beforeHold} after the resume`);
    t.ok(b.sim.stats('carrier-a').rtpReceived - rtpBefore >= (tally?.sent ?? 1) - 5, `the carrier got what the IVR sent (${tally?.sent})`);

    // RTCP both ways, where each SDP said.
    const media = mediaOf(b.tw, callId);
    t.not(media?.fromCarrier?.rtcpFractionLost, undefined, 'the relay received the IVR’s RTCP reports (muxed on its RTP port)');
    t.not(media?.fromCaller?.rtcpFractionLost, undefined, 'the relay received the carrier’s RTCP reports (on its RTCP port)');
    t.ok(b.sim.stats('carrier-a').rtpIgnored > 0, `the carrier received non-RTP datagrams (the IVR’s RTCP): ${b.sim.stats('carrier-a').rtpIgnored}`);
    const debug = (await ivr.command('audio_debug')).data;
    t.same(misdeliveredRtcp(ivr.output()), [], 'baresip dropped no RTCP as arriving on the wrong port');
    t.comment(`IVR RTCP members after the call: ${(debug.match(/member 0x[0-9a-f]+/g) ?? []).join(', ') || '(call gone)'}`);
  });

  await t.test('rtcp-mux not offered, the carrier hangs up: RTCP on the IVR’s RTCP port, everything released', async (t) => {
    const ivr = await startBaresip({ name: 'ivr-plain', toneHz: IVR_HZ, rtcpMux: false });
    b.ivrs.push(ivr);
    b.sim.set('carrier-a', { mode: 'hangup', holdMs: 7000 });
    t.ok((await ivr.command('dial', dial)).ok);
    await ivr.waitEvent('CALL_ESTABLISHED', 10_000);
    const callId = lastCallId(ivr);
    const closed = await ivr.waitEvent('CALL_CLOSED', 15_000);
    t.pass(`the carrier’s BYE reached the IVR (${closed.param})`);
    b.sim.set('carrier-a', { mode: 'answer' });
    const h = await waitHealth(b.tw.admin, callsReleased, 5000);
    t.same([h.activeCalls, h.media.sessions, h.media.portsInUse, h.engine.dialogs], [0, 0, 0, 0], 'no call, relay session, relay port or engine dialog left');
    const rec = await ivr.finishedRecording();
    if (rec) {
      const tone = analyseTone(readWav(rec), IVR_HZ);
      t.ok(tone.matching >= 6 && tone.matching >= 0.9 * (tone.blocks - tone.silent), `echoed tone: ${tone.matching}/${tone.blocks - tone.silent} half-seconds at ${tone.medianHz.toFixed(0)} Hz`);
    } else t.fail('no recording');
    const media = mediaOf(b.tw, callId);
    t.not(media?.fromCarrier?.rtcpFractionLost, undefined, 'the relay received the IVR’s RTCP (on its RTCP port)');
    t.not(media?.fromCaller?.rtcpFractionLost, undefined, 'the relay received the carrier’s RTCP');
    t.same(misdeliveredRtcp(ivr.output()), [], 'baresip dropped no RTCP as arriving on the wrong port');
  });

  await t.test('engine transactions drain within the RFC 3261 timer windows (J: 64×T1 = 32 s)', async (t) => {
    const h = await waitHealth(b.tw.admin, (x) => x.engine.serverTransactions === 0 && x.engine.clientTransactions === 0, 40_000);
    t.same([h.engine.serverTransactions, h.engine.clientTransactions], [0, 0], 'no engine transaction left');
  });
});
