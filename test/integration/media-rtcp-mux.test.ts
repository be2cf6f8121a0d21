/**
 * rtcp-mux per leg (RFC 5761) through the relay anchor the call layer uses, over real UDP sockets:
 * a fake caller and a fake carrier (each an RTP and an RTCP socket) exchange SDP through
 * RelayAnchor and then RTCP through the relay. Each case checks that RTCP lands exactly where the
 * SDP that endpoint received says it should: on its RTP port when the SDP it sent and the one it
 * got both carry a=rtcp-mux, on its RTCP port otherwise, and that the endpoint may send its own
 * RTCP the same way and have it relayed.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { parse } from 'sdp-transform';
import { MediaRelay } from '../../src/media/relay/relay';
import { RelayAnchor } from '../../src/media/relay-anchor';
import type { CallMediaSession } from '../../src/call/media-port';
import { buildRtcpRr, buildRtp } from '../../src/media/rtp/build';
import { isRtcp } from '../../src/media/rtp/packet';

const HOST = '127.0.0.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

/** One side's media sockets; counts RTP and RTCP separately on each socket. */
class Peer {
  readonly rtp = dgram.createSocket('udp4');
  readonly rtcp = dgram.createSocket('udp4');
  rtpIn = 0;
  rtcpOnRtp = 0;
  rtcpOnRtcp = 0;
  otherOnRtcp = 0;

  constructor(readonly name: string, readonly ssrc: number) {
    this.rtp.on('message', (m) => (isRtcp(m) ? this.rtcpOnRtp++ : this.rtpIn++));
    this.rtcp.on('message', (m) => (isRtcp(m) ? this.rtcpOnRtcp++ : this.otherOnRtcp++));
  }

  async bind(t: Test): Promise<this> {
    await Promise.all([new Promise<void>((r) => this.rtp.bind(0, HOST, r)), new Promise<void>((r) => this.rtcp.bind(0, HOST, r))]);
    t.teardown(() => {
      this.rtp.close();
      this.rtcp.close();
    });
    return this;
  }

  /** Our SDP: RTCP on a port that is NOT RTP + 1 (a=rtcp), so a wrong "port + 1" guess cannot pass. */
  sdp(mux: boolean, version = 1, direction = 'sendrecv'): string {
    return ['v=0', `o=${this.name} 77 ${version} IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0',
      `m=audio ${this.rtp.address().port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      `a=rtcp:${this.rtcp.address().port}`, ...(mux ? ['a=rtcp-mux'] : []), `a=${direction}`, ''].join('\r\n');
  }

  rr(): Buffer {
    return buildRtcpRr(this.ssrc, [{ ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }]);
  }
}

/** Where an SDP tells its receiver to send RTP and RTCP, and whether it carries a=rtcp-mux. */
function target(sdp: string): { rtpPort: number; rtcpPort: number; mux: boolean } {
  const m = parse(sdp).media.find((x) => x.type === 'audio')!;
  return { rtpPort: m.port, rtcpPort: m.rtcp?.port ?? m.port + 1, mux: m.rtcpMux !== undefined };
}

interface Negotiated {
  /** SDP the relay sent the carrier (its offer) and the caller (its answer). */
  toCarrier: string;
  toCaller: string;
  session: CallMediaSession;
}

async function setUp(t: Test, callerMux: boolean, carrierMux: boolean): Promise<{ relay: MediaRelay; caller: Peer; carrier: Peer; n: Negotiated }> {
  const relay = new MediaRelay({ bindAddress: HOST, portRange: { min: 44100, max: 44999 } });
  t.teardown(() => relay.close());
  const caller = await new Peer('caller', 0xca11e4).bind(t);
  const carrier = await new Peer('carrier', 0xca4415).bind(t);
  const session = await new RelayAnchor(relay).open('mux-call');
  const toCarrier = await session.offer(caller.sdp(callerMux), 'carrier-1');
  // An answerer may only accept rtcp-mux when it was offered (RFC 5761 §5.1.1).
  const toCaller = await session.answer(carrier.sdp(carrierMux && target(toCarrier).mux), 'carrier-1');
  return { relay, caller, carrier, n: { toCarrier, toCaller, session } };
}

/**
 * RTCP from each side, sent where the SDP it received says, arrives at the other side where the
 * SDP that side received says — and nowhere else. `usedMux` is what each side does: it muxes when
 * it offered or answered a=rtcp-mux and the SDP it got back carries it too.
 */
async function checkRtcpPaths(t: Test, caller: Peer, carrier: Peer, n: Negotiated, callerSent: boolean, carrierSent: boolean, held = false): Promise<void> {
  const toCaller = target(n.toCaller);
  const toCarrier = target(n.toCarrier);
  const callerMuxes = callerSent && toCaller.mux;
  const carrierMuxes = carrierSent && toCarrier.mux;
  // RTP first, both ways: latches the sources as a real call would.
  for (let k = 0; k < 5; k++) {
    caller.rtp.send(buildRtp({ payloadType: 0, sequence: k, timestamp: k * 160, ssrc: caller.ssrc }, 160), toCaller.rtpPort, HOST);
    carrier.rtp.send(buildRtp({ payloadType: 0, sequence: k, timestamp: k * 160, ssrc: carrier.ssrc }, 160), toCarrier.rtpPort, HOST);
  }
  if (held) t.ok(await until(() => caller.rtpIn === 5) && carrier.rtpIn === 0, 'on hold: RTP only toward the caller (the carrier is sendonly)');
  else t.ok(await until(() => caller.rtpIn === 5 && carrier.rtpIn === 5), 'RTP relayed both ways');

  // Carrier → caller.
  (carrierMuxes ? carrier.rtp : carrier.rtcp).send(carrier.rr(), carrierMuxes ? toCarrier.rtpPort : toCarrier.rtcpPort, HOST);
  await until(() => caller.rtcpOnRtp + caller.rtcpOnRtcp > 0);
  await sleep(50);
  if (callerMuxes) {
    t.same([caller.rtcpOnRtp, caller.rtcpOnRtcp], [1, 0], 'carrier RTCP reached the caller on its RTP port (rtcp-mux agreed on the caller leg)');
  } else {
    t.same([caller.rtcpOnRtp, caller.rtcpOnRtcp], [0, 1], 'carrier RTCP reached the caller on the RTCP port its SDP gave (no rtcp-mux on the caller leg)');
  }

  // Caller → carrier.
  (callerMuxes ? caller.rtp : caller.rtcp).send(caller.rr(), callerMuxes ? toCaller.rtpPort : toCaller.rtcpPort, HOST);
  await until(() => carrier.rtcpOnRtp + carrier.rtcpOnRtcp > 0);
  await sleep(50);
  if (carrierMuxes) {
    t.same([carrier.rtcpOnRtp, carrier.rtcpOnRtcp], [1, 0], 'caller RTCP reached the carrier on its RTP port (rtcp-mux agreed on the carrier leg)');
  } else {
    t.same([carrier.rtcpOnRtp, carrier.rtcpOnRtcp], [0, 1], 'caller RTCP reached the carrier on the RTCP port its SDP gave (no rtcp-mux on the carrier leg)');
  }
  t.equal(caller.otherOnRtcp + carrier.otherOnRtcp, 0, 'no RTP on any RTCP socket');
}

t.test('rtcp-mux offered by the caller and accepted by the carrier: mux on both legs', async (t) => {
  const { relay, caller, carrier, n } = await setUp(t, true, true);
  t.ok(target(n.toCarrier).mux, 'offer to the carrier carries a=rtcp-mux');
  t.ok(target(n.toCaller).mux, 'answer to the caller carries a=rtcp-mux');
  await checkRtcpPaths(t, caller, carrier, n, true, true);
  await n.session.close();
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
});

t.test('rtcp-mux offered by the caller, declined by the carrier: mux on the caller leg, RTCP port on the carrier leg', async (t) => {
  const { relay, caller, carrier, n } = await setUp(t, true, false);
  t.ok(target(n.toCarrier).mux, 'offer to the carrier carries a=rtcp-mux');
  t.ok(target(n.toCaller).mux, 'the relay accepts rtcp-mux toward the caller on its own (it demultiplexes per leg)');
  const rtcpLine = parse(n.toCaller).media[0]!.rtcp?.port;
  t.ok(rtcpLine === undefined || rtcpLine === target(n.toCaller).rtpPort, `no a=rtcp pointing the muxing caller at a separate port (a=rtcp:${rtcpLine})`);
  await checkRtcpPaths(t, caller, carrier, n, true, false);
  await n.session.close();
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
});

t.test('rtcp-mux not offered: no mux on either leg', async (t) => {
  const { relay, caller, carrier, n } = await setUp(t, false, true);
  t.notOk(target(n.toCarrier).mux, 'offer to the carrier has no a=rtcp-mux');
  t.notOk(target(n.toCaller).mux, 'answer to the caller has no a=rtcp-mux');
  await checkRtcpPaths(t, caller, carrier, n, false, false);
  await n.session.close();
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
});

t.test('an answer with a=rtcp-mux that was never offered is not taken as mux (RFC 5761 §5.1.1)', async (t) => {
  const relay = new MediaRelay({ bindAddress: HOST, portRange: { min: 44100, max: 44999 } });
  t.teardown(() => relay.close());
  const caller = await new Peer('caller', 0x111).bind(t);
  const carrier = await new Peer('carrier', 0x222).bind(t);
  const session = await new RelayAnchor(relay).open('bogus-mux');
  const toCarrier = await session.offer(caller.sdp(false), 'carrier-1');
  const toCaller = await session.answer(carrier.sdp(true), 'carrier-1');
  t.notOk(target(toCaller).mux, 'the caller is not told to mux');
  // The carrier claims mux but must still get RTCP on its RTCP port: it was not offered mux.
  await checkRtcpPaths(t, caller, carrier, { toCarrier, toCaller, session }, false, false);
  await session.close();
});

t.test('re-INVITE from the carrier without a=rtcp-mux (hold): the caller leg keeps mux, RTCP still where each SDP says', async (t) => {
  const { relay, caller, carrier, n } = await setUp(t, true, false);
  // The carrier puts the call on hold; its re-offer has no rtcp-mux, as its first answer.
  const toCallerOffer = await n.session.reoffer('carrier', carrier.sdp(false, 2, 'sendonly'));
  t.ok(target(toCallerOffer).mux, 'the re-offer to the caller keeps a=rtcp-mux (RFC 5761 §5.1.3: once agreed, offered again)');
  const toCarrierAnswer = await n.session.reanswer('carrier', caller.sdp(true, 2, 'recvonly'));
  t.notOk(target(toCarrierAnswer).mux, 'the answer to the carrier has no a=rtcp-mux: it did not offer it');
  // RTCP still flows on a held stream (RFC 3264 §5.1): check both paths with the new SDP.
  await checkRtcpPaths(t, caller, carrier, { toCarrier: toCarrierAnswer, toCaller: toCallerOffer, session: n.session }, true, false, true);
  await n.session.close();
  t.same(relay.stats(), { sessions: 0, portsInUse: 0 });
});
