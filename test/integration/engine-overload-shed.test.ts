/**
 * Issues 9/11, overload: while the main thread is behind, the UDP ingress thread sheds NEW calls
 * (out-of-dialog INVITEs get a stateless 503 + Retry-After) and lets through everything that belongs
 * to calls already admitted (retransmissions of an admitted INVITE, ACK, BYE, re-INVITE, responses);
 * a late batch's new INVITEs are shed by the main thread instead of being served late; a shed
 * INVITE's retransmission gets 503 again after the overload; new calls after it are served.
 *
 * The main thread is stalled for real (a 1.5 s busy loop in the upper layer's handler) while a
 * sender in another process offers traffic on a schedule. The same plan runs three ways: UDP through
 * the ingress thread (shed.ts), UDP inline and TCP, both received by the main thread itself, which
 * sheds with its own lag (loop-lag.ts, loop-shed.ts).
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { TransportLayer, type InboundMessage } from '../../src/engine/transport/layer';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';
import { silentLogger } from '../../src/engine/logger';
import { freePorts } from '../helpers/sipp';

const STALL_MS = 1500;
const MAX_LAG = 150;
const RETRY_AFTER_S = 1;

interface Planned { at: number; name: string; text: string }
interface SenderResult { sent: Array<{ name: string; at: number }>; got: Array<{ at: number; text: string }> }

/** The sender: plain node in its own process (the test's main thread is the one stalled). */
const SENDER = `
const dgram = require('node:dgram');
const net = require('node:net');
const cfg = JSON.parse(process.argv[1]);
const got = [];
let write, close, ready;
if (cfg.protocol === 'tcp') {
  const c = net.connect(cfg.port, '127.0.0.1');
  let buf = '';
  c.on('data', (b) => {
    buf += b.toString('latin1');
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) !== -1) { got.push({ at: Date.now(), text: buf.slice(0, i + 4) }); buf = buf.slice(i + 4); }
  });
  write = (text) => c.write(text);
  close = () => c.destroy();
  ready = (cb) => c.once('connect', cb);
} else {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => got.push({ at: Date.now(), text: m.toString('latin1') }));
  write = (text) => s.send(text, cfg.port, '127.0.0.1');
  close = () => s.close();
  ready = (cb) => s.bind(0, '127.0.0.1', cb);
}
ready(() => {
  process.stdout.write('ready\\n');
  process.stdin.once('data', () => {
    const sent = [];
    for (const p of cfg.plan) setTimeout(() => {
      write(p.text.replace('%NOW%', String(Date.now())));
      sent.push({ name: p.name, at: Date.now() });
    }, p.at);
    setTimeout(() => { process.stdout.write(JSON.stringify({ sent, got }) + '\\n'); close(); process.stdin.destroy(); }, cfg.endMs);
  });
});
`;

type Mode = 'udp-thread' | 'udp-inline' | 'tcp';
let VIA = 'UDP';

function request(method: string, callId: string, branch: string, opts: { toTag?: string; cseq?: number } = {}): string {
  return [
    `${method} sip:alarm@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${VIA} 127.0.0.1:5999;branch=${branch};rport`,
    'Max-Forwards: 70',
    'From: <sip:ivr@127.0.0.1>;tag=ivr1',
    `To: <sip:alarm@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    'Subject: sent=%NOW%',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

const response180 = (): string => ['SIP/2.0 180 Ringing', `Via: SIP/2.0/${VIA} 127.0.0.1:5060;branch=z9hG4bK-ours-1`, 'From: <sip:edge@127.0.0.1>;tag=e1',
  'To: <sip:carrier@127.0.0.1>;tag=c1', 'Call-ID: out-1', 'CSeq: 1 INVITE', 'Subject: sent=%NOW%', 'Content-Length: 0', '', ''].join('\r\n');

for (const mode of ['udp-thread', 'udp-inline', 'tcp'] as Mode[]) {
  t.test(`${mode}: main thread stalled: new INVITEs get 503, admitted calls' traffic passes, no late backlog served`, (t) => stalled(t, mode));
}

async function stalled(t: Test, mode: Mode): Promise<void> {
  const protocol = mode === 'tcp' ? 'tcp' : 'udp';
  VIA = protocol.toUpperCase();
  const [port] = (await freePorts(1)) as [number];
  const delivered: Array<{ what: string; callId: string; age: number }> = [];
  let stalled = false;
  const layer = new TransportLayer([{ protocol, address: '127.0.0.1', port }], { ...DEFAULT_LIMITS, ingressMaxLagMs: MAX_LAG, shedRetryAfterS: RETRY_AFTER_S }, silentLogger, (m: InboundMessage) => {
    const msg = m.message;
    const sentAt = Number(/sent=(\d+)/.exec(msg.headers.get('subject') ?? '')?.[1]);
    delivered.push({ what: msg.kind === 'request' ? msg.method : String(msg.status), callId: msg.headers.get('call-id') ?? '', age: Date.now() - sentAt });
    if (!stalled && msg.kind === 'request' && msg.headers.get('call-id') === 'a') {
      stalled = true;
      const end = Date.now() + STALL_MS;
      while (Date.now() < end); // the main thread behind: nothing else runs on it meanwhile
    }
  }, undefined, mode === 'udp-inline' ? 'inline' : 'thread');
  await layer.start();
  t.teardown(() => layer.stop());

  const plan: Planned[] = [{ at: 0, name: 'A', text: request('INVITE', 'a', 'z9hG4bK-a') }];
  for (let i = 0; i < 25; i++) plan.push({ at: 100 + 50 * i, name: `N${i}`, text: request('INVITE', `n-${i}`, `z9hG4bK-n-${i}`) });
  plan.push(
    { at: 500, name: 'A-retransmit', text: request('INVITE', 'a', 'z9hG4bK-a') },
    { at: 1000, name: 'A-retransmit', text: request('INVITE', 'a', 'z9hG4bK-a') },
    { at: 600, name: 'BYE', text: request('BYE', 'd', 'z9hG4bK-bye', { toTag: 'x1', cseq: 2 }) },
    { at: 700, name: 'ACK', text: request('ACK', 'd', 'z9hG4bK-ack', { toTag: 'x1' }) },
    { at: 800, name: 'reINVITE', text: request('INVITE', 'd', 'z9hG4bK-reinvite', { toTag: 'x1', cseq: 3 }) },
    { at: 900, name: '180', text: response180() },
    { at: STALL_MS + 1000, name: 'N10-retransmit', text: request('INVITE', 'n-10', 'z9hG4bK-n-10') },
    { at: STALL_MS + 1100, name: 'M', text: request('INVITE', 'm', 'z9hG4bK-m') },
  );

  const child = spawn(process.execPath, ['-e', SENDER, JSON.stringify({ protocol, port, plan, endMs: STALL_MS + 1700 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => void (child.exitCode === null && child.kill()));
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out === 'ready\n') child.stdin.write('go\n');
  });
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const res = JSON.parse(out.split('\n')[1] ?? '{}') as SenderResult;

  const answers = res.got.map((g) => ({
    status: Number(/^SIP\/2\.0 (\d{3})/.exec(g.text)?.[1]),
    callId: /\r\nCall-ID: *([^\r]+)/i.exec(g.text)?.[1] ?? '',
    retryAfter: /\r\nRetry-After: *(\d+)/i.exec(g.text)?.[1],
    toTag: /\r\nTo: *[^\r]*;tag=/i.test(g.text),
  }));
  const refused = (callId: string): number => answers.filter((a) => a.status === 503 && a.callId === callId).length;
  const got = (what: string, callId: string): number => delivered.filter((d) => d.what === what && d.callId === callId).length;

  t.ok(stalled, 'the main thread was stalled');
  t.ok(answers.length > 0 && answers.every((a) => a.status === 503 && a.retryAfter === String(RETRY_AFTER_S) && a.toTag), 'every answer is a 503 with Retry-After and a To tag');
  let shed = 0;
  for (let i = 0; i < 25; i++) {
    const r = refused(`n-${i}`);
    const d = got('INVITE', `n-${i}`);
    if (i !== 10) t.equal(r + d, 1, `new INVITE n-${i}: either refused (${r}) or served (${d}), once`);
    if (r > 0) shed++;
  }
  t.ok(shed >= 20, `new INVITEs offered during the stall were shed (${shed} of 25)`);
  const late = delivered.filter((d) => d.callId.startsWith('n-') && d.age > MAX_LAG + 250);
  t.equal(late.length, 0, `no new INVITE served later than ${MAX_LAG} ms (+ slack) after it was sent: ${JSON.stringify(late.slice(0, 3))}`);

  t.equal(refused('a'), 0, 'the admitted INVITE\'s retransmissions got no 503');
  t.equal(got('INVITE', 'a'), 3, 'the admitted INVITE and its two retransmissions reached the main thread (its transaction absorbs them)');
  t.equal(got('BYE', 'd'), 1, 'BYE passed');
  t.equal(got('ACK', 'd'), 1, 'ACK passed');
  t.equal(got('INVITE', 'd'), 1, 're-INVITE (To tag) passed');
  t.equal(got('180', 'out-1'), 1, 'the response passed');
  t.equal(refused('d') + refused('out-1'), 0, 'nothing of the call in progress was refused');

  t.equal(refused('n-10'), 2, 'the shed INVITE\'s retransmission after the stall got 503 again');
  t.equal(got('INVITE', 'n-10'), 0, 'and was never served');
  t.equal(got('INVITE', 'm'), 1, 'a new call after the stall is served');
  t.equal(refused('m'), 0, 'without a 503');

  const s = layer.stats;
  t.equal(s.shed, shed + 1, `shed counted (${s.shed})`);
  t.equal(s.shedAnswered503, s.shed, 'all of them answered 503 (within the budget)');
  t.equal(s.ingressBacklog, 0, 'nothing left waiting for the main thread');
  const by = s.shedBy[protocol];
  t.equal(by.retransmission, 1, `counted by reason: the shed INVITE seen again (${JSON.stringify(s.shedBy)})`);
  t.equal(by.lag + by.backlog, shed, 'the others: the main thread was behind');
  const other = s.shedBy[protocol === 'udp' ? 'tcp' : 'udp'];
  t.equal(other.lag + other.backlog + other.retransmission, 0, 'nothing counted under the other transport');
}
