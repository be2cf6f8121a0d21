/**
 * Whose fault a synthetic probe call's failure is (issue 13): only the carrier's own answer may be
 * charged to it. No relay port, a SIP stack that refuses to send, or a stop (shutdown) are the
 * edge's own (`local`); a test number that answers 404 is a configuration problem (`rejected`).
 * The SIP stack and the relay are stand-ins here: the real ones are in synthetic-probes.test.ts.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import { placeProbeCall, type ProbeCallDeps, type ProbeCallSpec, type ProbeRtp } from '../../src/drills/synthetic-probe';
import type { CallMediaSession, MediaAnchor } from '../../src/call/media-port';
import type { CallSipPort } from '../../src/call/sip-port';

const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n';
const session = (closed: string[]): CallMediaSession => ({
  offer: async () => sdp, answer: async () => sdp, reoffer: async () => sdp, reanswer: async () => sdp,
  sample: async () => ({ expected: 50, lost: 0 }), stats: async () => ({ mode: 'relay' }), close: async () => void closed.push('media'),
});
const rtp = (closed: string[]): ProbeRtp => ({ port: 39_800, start: () => undefined, stopSending: () => undefined, close: async () => void closed.push('rtp') });

function deps(over: { anchor?: MediaAnchor; uac?: CallSipPort['createUac'] }, closed: string[]): ProbeCallDeps {
  return {
    sip: { createUac: over.uac ?? (async () => { throw Object.assign(new Error('Service Unavailable'), { status: 503 }); }), createUas: async () => { throw new Error('unused'); } },
    anchor: over.anchor ?? { open: async () => session(closed) }, rtpAddress: '127.0.0.1', openRtp: async () => rtp(closed),
    now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}
const spec = (over: Partial<ProbeCallSpec> = {}): ProbeCallSpec => ({
  callId: 'probe-1', carrier: 'carrier-c', uri: 'sip:1555@127.0.0.1:5071;transport=udp', durationMs: 300, setupTimeoutMs: 200, sampleEveryMs: 100,
  stopped: () => false, onSample: () => undefined, ...over,
});

t.test('no relay port: local, nothing left open', async (t) => {
  const closed: string[] = [];
  const r = await placeProbeCall(deps({ anchor: { open: async () => { throw new Error('no free RTP port in 40000-40001'); } } }, closed), spec());
  t.equal(r.outcome, 'local');
  t.match(r.outcome === 'local' && r.reason, /no free RTP port/);
});

t.test('the carrier answers 503: failed (charged); 404 from the test number: rejected (not charged)', async (t) => {
  const closed: string[] = [];
  const r = await placeProbeCall(deps({}, closed), spec());
  t.same(r.outcome === 'failed' && [r.status, r.reason], [503, '503']);
  t.same(closed.sort(), ['media', 'rtp'], 'relay session and RTP endpoint closed');
  const n = await placeProbeCall(deps({ uac: async () => { throw Object.assign(new Error('Not Found'), { status: 404, reason: 'Not Found' }); } }, []), spec());
  t.same(n.outcome === 'rejected' && n.status, 404);
});

t.test('the SIP stack refuses to send (no status): local', async (t) => {
  const r = await placeProbeCall(deps({ uac: async () => { throw new Error('drachtio connection closed'); } }, []), spec());
  t.equal(r.outcome, 'local');
});

t.test('no answer within setupTimeoutMs: CANCEL sent, failed 408', async (t) => {
  let cancelled = false;
  const uac: CallSipPort['createUac'] = (_uri, _opts, progress) => new Promise<Srf.Dialog>((_resolve, reject) => {
    progress.onSent({ cancel: () => { cancelled = true; reject(Object.assign(new Error('Request Terminated'), { status: 487 })); } });
  });
  const r = await placeProbeCall(deps({ uac }, []), spec());
  t.ok(cancelled, 'the INVITE was cancelled');
  t.same(r.outcome === 'failed' && r.status, 408);
});

t.test('stopped (shutdown) during set-up: local, not charged', async (t) => {
  let stop = false;
  const uac: CallSipPort['createUac'] = (_uri, _opts, progress) => new Promise<Srf.Dialog>((_resolve, reject) => {
    progress.onSent({ cancel: () => undefined });
    setTimeout(() => {
      stop = true;
      reject(Object.assign(new Error('Request Terminated'), { status: 487 }));
    }, 50);
  });
  const r = await placeProbeCall(deps({ uac }, []), spec({ stopped: () => stop }));
  t.equal(r.outcome, 'local');
});
