/**
 * The srf adapter (src/app/srf-port.ts) against drachtio-srf's real behaviour, over the embedded
 * engine: createUac hands out a cancellable INVITE (srf calls cbRequest(null, req), not (req)), the
 * provisionals arrive, cancel() makes the carrier receive CANCEL and the attempt end with 487;
 * request() sends an OPTIONS and its answer arrives on 'response'; a request srf cannot send reports
 * an error instead of throwing.
 */
import t from 'tap';
import path from 'node:path';
import dgram from 'node:dgram';
import Srf from 'drachtio-srf';
import { SrfPort } from '../../src/app/srf-port';
import { connectSrf } from '../../src/app/srf-connect';
import type { SentInvite } from '../../src/call/sip-port';
import { startEngineUnderTest, assertEngineIdle, embeddedOnly } from '../helpers/engine-under-test';
import { startSippServer, killAll, readSippCounts } from '../helpers/sipp';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

t.teardown(killAll);

t.test('srf adapter over the embedded engine', async (t) => {
  const engine = await startEngineUnderTest();
  const srf = new Srf();
  await connectSrf(srf, engine.wire);
  const port = new SrfPort(srf);
  t.teardown(async () => {
    srf.disconnect();
    await engine.stop();
  });

  await t.test('createUac: onSent gives a cancellable INVITE; cancel() → CANCEL at the carrier, 487', async (t) => {
    const carrier = await startSippServer({ scenario: SC('uas-carrier-ring-forever.xml'), timeoutMs: 60_000 });
    const statuses: number[] = [];
    let sent: SentInvite | undefined;
    const outcome = await new Promise<{ status?: number }>((resolve) => {
      port.createUac(`sip:15550001@127.0.0.1:${carrier.port}`, { localSdp: SDP, headers: { From: '<sip:ivr@127.0.0.1>' } }, {
        onSent: (s) => void (sent = s),
        onProvisional: (res) => {
          statuses.push(res.status);
          if (res.status === 180) sent?.cancel();
        },
      }).then(() => resolve({}), (err: { status?: number }) => resolve(err));
    });
    t.ok(sent, 'onSent was called with the sent INVITE');
    t.ok(statuses.includes(180), `provisionals reached onProvisional (${statuses.join(', ')})`);
    t.equal(outcome.status, 487, 'the attempt ended with 487 Request Terminated');
    t.doesNotThrow(() => sent?.cancel(), 'a second cancel() is harmless');
    // The scenario completes (ACK, 500 ms wait) after the 487; SIPp rewrites its stats file every second.
    for (let i = 0; i < 16 && readSippCounts(carrier.dir).successful < 1; i++) await new Promise((r) => setTimeout(r, 250));
    t.equal(readSippCounts(carrier.dir).successful, 1, 'the carrier received the CANCEL');
    await carrier.stop();
    await assertEngineIdle(t, engine, 40_000, 'after the cancelled INVITE', true);
  });

  await t.test('createUac: a carrier that rings then rejects → the 486 reaches the app; srf asks the server for no ACK of it', { skip: embeddedOnly('reads the engine\'s refused-ACK counter') }, async (t) => {
    const carrier = await startSippServer({ scenario: SC('uas-carrier-ring-then-reject.xml'), timeoutMs: 60_000 });
    const refusedBefore = engine.embedded!.stats().refusedAppAcks;
    const outcome = await new Promise<{ status?: number }>((resolve) => {
      port.createUac(`sip:15550001@127.0.0.1:${carrier.port}`, { localSdp: SDP, headers: { From: '<sip:ivr@127.0.0.1>' } }, { onSent: () => undefined, onProvisional: () => undefined })
        .then(() => resolve({}), (err: { status?: number }) => resolve(err));
    });
    t.equal(outcome.status, 486, 'the attempt failed with the carrier\'s 486');
    await new Promise((r) => setTimeout(r, 300)); // srf's ACK request, had it been sent, would be answered by now
    // Before: srf's createUAC asked for an ACK of every final response; the engine (as drachtio-server) refused it.
    t.equal(engine.embedded!.stats().refusedAppAcks - refusedBefore, 0, 'no ACK request for the 486 reached the engine');
    await carrier.stop();
  });

  await t.test('request: OPTIONS sent, the answer arrives on response', async (t) => {
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    peer.on('message', (msg, rinfo) => {
      const text = msg.toString();
      const hdr = (n: string): string => new RegExp(`^${n}:.*$`, 'mi').exec(text)?.[0] ?? '';
      const reply = ['SIP/2.0 200 OK', hdr('Via'), hdr('From'), `${hdr('To')};tag=peer1`, hdr('Call-ID'), hdr('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
      peer.send(reply, rinfo.port, rinfo.address);
    });
    const status = await new Promise<number>((resolve, reject) => {
      port.request(`sip:127.0.0.1:${peer.address().port}`, { method: 'OPTIONS', headers: { 'Max-Forwards': '70' } }, (err, req) => {
        if (err || !req) return reject(err ?? new Error('no request'));
        req.on('response', (res) => resolve(res.status));
      });
    });
    peer.close();
    t.equal(status, 200, 'the peer answered 200');
  });

  await t.test('request: an unsendable request reports an error through the callback', async (t) => {
    const err = await new Promise<Error | null>((resolve) => {
      port.request('sip:127.0.0.1:5060;transport=sctp', { method: 'OPTIONS', headers: {} }, (e, req) => {
        if (e) return resolve(e);
        req?.on('response', () => resolve(null));
      });
    });
    t.ok(err, `error reported: ${err?.message ?? ''}`);
  });
});
