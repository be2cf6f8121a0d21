/**
 * The error catalogue is what the runtime sends (issue 9): each code trunkwise answers a call with is
 * driven through the running app (a real trunkwise process, a raw UDP peer as the IVR) and the
 * response's status, reason phrase and catalogued headers are compared with src/config/errors.ts.
 * E_CALLER_CANCELLED (487) is covered by call-cancel.test.ts; E_CONFIG_INVALID is never sent on a call.
 * Also: trunkwise_calls_in_total is labelled by allowlist entry or "foreign", never by the address.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { ERRORS, type ErrorCode } from '../../src/config/errors';
import type { SipResponse } from '../../src/sip/message';
import { RawSipPeer, ids, request, type Received } from '../apps/raw-sip-peer';
import { freePorts } from '../helpers/sipp';
import { startTrunkwise, type Trunkwise } from '../helpers/trunkwise-process';

const ROUTES = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }]
    strategy: priority
`;

async function system(args: string[], env: Record<string, string> = {}): Promise<{ tw: Trunkwise; sink: dgram.Socket; stop(): Promise<void> }> {
  const [port] = await freePorts(1);
  const sink = dgram.createSocket('udp4'); // the carrier: never reached by these calls
  await new Promise<void>((r) => sink.bind(port!, '127.0.0.1', () => r()));
  const tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: port!, weight: 1 }], routes: { '99-default.yaml': ROUTES }, args, env });
  return { tw, sink, stop: async () => { await tw.stop(); sink.close(); } };
}

/** Send one INVITE, return its final response (and ACK it). */
async function invite(peer: RawSipPeer, tw: Trunkwise, o: { extra?: string[]; body?: string; contentType?: string } = {}): Promise<SipResponse> {
  const id = ids('cat');
  let text = request({ peerPort: peer.port, target: { address: '127.0.0.1', port: tw.sipPort }, ...id, extra: o.extra ?? [], ...(o.body !== undefined && { body: o.body }) });
  if (o.contentType) text = text.replace('Content-Type: application/sdp', `Content-Type: ${o.contentType}`);
  peer.send(text, tw.sipPort);
  const r: Received = await peer.wait((x) => x.message.kind === 'response' && (x.message as SipResponse).status >= 200 && x.message.headers.get('call-id') === id.callId, 10_000, `final response to ${id.callId}`);
  const res = r.message as SipResponse;
  const toTag = /;\s*tag=([^;>\s]+)/.exec(res.headers.get('to') ?? '')?.[1];
  peer.send(request({ peerPort: peer.port, target: { address: '127.0.0.1', port: tw.sipPort }, ...id, method: 'ACK', ...(toTag && { toTag }) }), tw.sipPort);
  return res;
}

function matches(t: Test, code: ErrorCode, res: SipResponse): void {
  const spec: { status: number; reason: string; retryAfterS?: number; headers?: Readonly<Record<string, string>> } = ERRORS[code];
  t.equal(res.status, spec.status, `${code}: status ${spec.status}`);
  t.equal(res.reason, spec.reason, `${code}: reason "${spec.reason}"`);
  t.equal(res.headers.get('retry-after') ?? undefined, spec.retryAfterS === undefined ? undefined : String(spec.retryAfterS), `${code}: Retry-After ${spec.retryAfterS ?? 'absent'}`);
  for (const [name, value] of Object.entries(spec.headers ?? {})) t.equal(res.headers.get(name.toLowerCase()), value, `${code}: ${name}: ${value}`);
}

t.test('codes from one running app: 415, E_ALL_CARRIERS_DOWN, E_CPS_LIMIT; OPTIONS capabilities', async (t) => {
  const s = await system(['--max-cps', '3']);
  const peer = await RawSipPeer.open();
  t.teardown(async () => { peer.close(); await s.stop(); });
  matches(t, 'E_UNSUPPORTED_MEDIA_TYPE', await invite(peer, s.tw, { body: '<x/>', contentType: 'application/unknownformat' }));

  // OPTIONS (RFC 3261 §11.2): 200 with Allow, Accept and Supported.
  const o = ids('opt');
  peer.send(request({ peerPort: peer.port, target: { address: '127.0.0.1', port: s.tw.sipPort }, ...o, method: 'OPTIONS' }), s.tw.sipPort);
  const opt = (await peer.wait((x) => x.message.kind === 'response' && x.message.headers.get('call-id') === o.callId, 5000, 'OPTIONS answer')).message as SipResponse;
  t.equal(opt.status, 200, 'OPTIONS: 200');
  t.match(opt.headers.get('allow') ?? '', /INVITE.*ACK.*CANCEL.*BYE.*OPTIONS/, `OPTIONS: Allow ${opt.headers.get('allow')}`);
  t.equal(opt.headers.get('accept'), 'application/sdp', 'OPTIONS: Accept application/sdp');
  t.match(opt.headers.get('supported') ?? '', /100rel/, `OPTIONS: Supported ${opt.headers.get('supported')}`);

  t.equal((await s.tw.admin('POST', '/carriers/carrier-a/disable', 'test-token')).status, 200, 'the only carrier disabled');
  matches(t, 'E_ALL_CARRIERS_DOWN', await invite(peer, s.tw));
  await new Promise((r) => setTimeout(r, 1100)); // a fresh rate window
  const burst = await Promise.all(Array.from({ length: 6 }, () => invite(peer, s.tw)));
  const limited = burst.find((r) => r.headers.get('retry-after') === '1');
  t.ok(limited, `a burst above --max-cps 3 is refused (${burst.map((r) => r.status).join(', ')})`);
  if (limited) matches(t, 'E_CPS_LIMIT', limited);
});

t.test('E_SOURCE_FORBIDDEN: a source outside --allow', async (t) => {
  // 127.0.0.1 is also the carrier's address, so the engine lets it through to the app's admission.
  const s = await system(['--allow', '10.0.0.0/8']);
  const peer = await RawSipPeer.open();
  t.teardown(async () => { peer.close(); await s.stop(); });
  matches(t, 'E_SOURCE_FORBIDDEN', await invite(peer, s.tw));
  const metrics = String((await s.tw.admin('GET', '/metrics')).body);
  t.match(metrics, /trunkwise_calls_in_total\{source="foreign"\} 1/, 'counted as source="foreign"');
  t.notMatch(metrics, /trunkwise_calls_in_total\{source="127/, 'no series named after the unauthenticated address');
});

t.test('E_AUTH_REQUIRED: digest on, no credentials', async (t) => {
  const s = await system([], { TRUNKWISE_IVR_AUTH: 'ivr-east:pw' });
  const peer = await RawSipPeer.open();
  t.teardown(async () => { peer.close(); await s.stop(); });
  const res = await invite(peer, s.tw);
  matches(t, 'E_AUTH_REQUIRED', res);
  t.match(res.headers.get('www-authenticate') ?? '', /^Digest /, 'with a digest challenge');
});
