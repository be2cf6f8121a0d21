/**
 * RFC 4475: every torture message (test/fixtures/rfc4475/*.dat, bytes as in the RFC) sent to the
 * running embedded engine over UDP and over TCP; each must get the answer test/fixtures/rfc4475/index.json
 * names (the RFC's expectation, with this test's application behind the engine), or nothing where the
 * RFC allows a silent drop. Afterwards no transaction or dialog is left.
 *
 * UDP responses go to the source address and the top Via's sent-by port (5060 when absent, RFC 3261
 * §18.2.2), so the test sends from its own loopback address (127.77.x.y) and listens there on every
 * sent-by port the messages name.
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';
import { assertEngineIdle, embeddedOnly, parseHostports, startEngineUnderTest, waitForEngineIdle, type EngineUnderTest } from '../helpers/engine-under-test';
import { parseMessage } from '../../src/sip/parser';
import { requestServerKey } from '../../src/engine/transaction/keys';

type Answer = number | Array<number | 'close'> | 'drop' | 'wait' | 'close';
interface Case { section: string; title: string; rfc: string; udp: Answer; tcp: Answer }

const DIR = path.join(__dirname, '..', 'fixtures', 'rfc4475');
const INDEX = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8')) as Record<string, Case>;
const NAMES = Object.keys(INDEX).sort();
const raw = (name: string): Buffer => fs.readFileSync(path.join(DIR, `${name}.dat`));

const T1 = 20; // timers J and H = 64·T1 = 1.3 s, so the leak checks do not wait 32 s
const QUIET_MS = 300; // how long "no answer" is watched for
const FINAL_MS = 4000; // a loaded machine still answers within this

const skip = embeddedOnly('the answers are the trunkwise engine\'s RFC 4475 behaviour (drachtio-server answers several differently)');

let engine: EngineUnderTest;
let app: Srf;
let sip: ReturnType<typeof parseHostports>;
const myAddress = `127.77.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

t.before(async () => {
  if (skip) return;
  engine = await startEngineUnderTest({ timers: { T1, T2: 4 * T1, T4: 10 * T1 } });
  app = new Srf();
  // The application behind the engine: INVITE with SDP → 480 (it was placed as a call), another body
  // type → 415 with Accept (what the trunkwise app does), OPTIONS → 200. Nothing else is routed.
  app.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const type = (req.get('Content-Type') ?? '').toLowerCase();
    if (req.body && !type.startsWith('application/sdp')) res.send(415, { headers: { Accept: 'application/sdp' } });
    else res.send(480);
  });
  app.use('options', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => res.send(200));
  sip = parseHostports(await connectSrf(app, engine.wire));
});

t.teardown(async () => {
  if (skip) return;
  app.disconnect();
  await engine.stop();
});

interface Got { status: number; text: string }

/** What an answer must carry besides its status (RFC 3261 §21.4). */
const HEADERS_WITH: Record<number, RegExp> = {
  400: /^SIP\/2\.0 400 Bad Request \(.+\)\r\n/, // the reason phrase says what was wrong
  405: /\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n/,
  501: /\r\nAllow: /,
  415: /\r\nAccept: application\/sdp\r\n/,
  420: /\r\nUnsupported: nothingSupportsThis, nothingSupportsThisEither, noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n/,
  406: /\r\nAccept: application\/sdp\r\n/,
};

const statusOf = (text: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
const header = (text: string, re: RegExp): string | undefined => re.exec(text)?.[1]?.trim();
const callIdOf = (text: string): string | undefined => header(text, /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)/i);

/** ACK for a non-2xx final to an INVITE (RFC 3261 §17.1.1.3), built from the request line and the response. */
function ackFor(request: Buffer, response: string): Buffer {
  const ruri = /^\S+ (\S+)/.exec(request.toString('latin1'))?.[1] ?? 'sip:x';
  const lines = response.split('\r\n');
  const first = (re: RegExp): string => lines.find((l) => re.test(l)) ?? '';
  const cseq = /^CSeq:\s*(\d+)/i.exec(first(/^CSeq\s*:/i))?.[1] ?? '1';
  return Buffer.from([
    `ACK ${ruri} SIP/2.0`, first(/^Via\s*:/i), first(/^From\s*:/i), first(/^To\s*:/i), first(/^Call-ID\s*:/i),
    `CSeq: ${cseq} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n'));
}

const isInvite = (b: Buffer): boolean => b.toString('latin1').startsWith('INVITE ');
const finals = (got: Got[]): number[] => got.filter((g) => g.status >= 200).map((g) => g.status);

function describe(name: string, c: Case, answer: Answer): string {
  return `${name} (RFC 4475 §${c.section}, ${c.title}) → ${JSON.stringify(answer)}`;
}

/**
 * The server transaction a message opens, by RFC 3261 §17.2.3 (cparam01/cparam02 and escnull/regescrt
 * share branch and sent-by: by the RFC's rules the second is a retransmission of the first).
 */
function transactionKey(bytes: Buffer): string | undefined {
  const p = parseMessage(bytes);
  if (!p.ok || p.message.kind !== 'request') return undefined;
  return requestServerKey(p.message, p.message.method === 'ACK' ? 'INVITE' : p.message.method);
}

/** Sent-by ports the messages' top Vias name (the 5060 default included). */
function viaPorts(): number[] {
  const ports = new Set([5060]);
  for (const n of NAMES) {
    const m = /\r\n(?:Via|v)[ \t]*:[ \t]*SIP[ \t]*\/[ \t]*\d\.\d[ \t]*\/[ \t]*\w+[ \t]+[^\s;:]+:(\d+)/i.exec(raw(n).toString('latin1'));
    if (m) ports.add(Number(m[1]));
  }
  return [...ports];
}

t.test('RFC 4475 messages over UDP', { skip }, async (t) => {
  const sockets: dgram.Socket[] = [];
  const inbox: string[] = [];
  for (const port of viaPorts()) {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, myAddress, () => resolve());
    });
    s.on('message', (m) => void inbox.push(m.toString('utf8')));
    sockets.push(s);
  }
  const sender = sockets[0]!;
  const send = (b: Buffer): void => void sender.send(b, sip.udp!.port, sip.udp!.address);
  const open = new Set<string>();
  try {
    for (const name of NAMES) {
      const c = INDEX[name]!;
      const bytes = raw(name);
      const key = transactionKey(bytes);
      if (key && open.has(key)) {
        // Same transaction as a message sent earlier: let that one end (timer J) so this one is new.
        await waitForEngineIdle(engine.embedded!, 64 * T1 + 3000);
        open.clear();
      }
      if (key) open.add(key);
      const callId = callIdOf(bytes.toString('latin1'));
      const mine = (): Got[] => inbox.filter((x) => callIdOf(x) === callId).map((x) => ({ status: statusOf(x), text: x }));
      inbox.length = 0;
      send(bytes);
      const want = c.udp;
      if (typeof want === 'number') {
        const until = Date.now() + FINAL_MS;
        while (finals(mine()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        const final = mine().find((g) => g.status >= 200);
        if (final && isInvite(bytes)) send(ackFor(bytes, final.text));
        t.equal(final?.status, want, describe(name, c, want));
        if (final && want >= 400) t.match(final.text, /^SIP\/2\.0 \d{3} \S/, `${name}: the final has a reason phrase`);
        const needs = final ? HEADERS_WITH[final.status] : undefined;
        if (final && needs) t.match(final.text, needs, `${name}: ${final.status} carries ${needs.source}`);
      } else {
        await new Promise((r) => setTimeout(r, QUIET_MS));
        t.same(mine().map((g) => g.status), [], describe(name, c, want));
      }
    }
    await assertEngineIdle(t, engine, 64 * T1 + 3000, 'after the UDP run');
  } finally {
    for (const s of sockets) s.close();
  }
});

/** One TCP connection: send the message, collect responses until `done` or `ms`; report whether the engine closed it. */
function overTcp(bytes: Buffer, done: (got: Got[]) => boolean, ms: number): Promise<{ got: Got[]; closed: boolean }> {
  return new Promise((resolve) => {
    const got: Got[] = [];
    let buf = '';
    let closed = false;
    const s = net.connect({ host: sip.tcp!.address, port: sip.tcp!.port, localAddress: myAddress });
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ got, closed });
    };
    const timer = setTimeout(finish, ms);
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      finish();
    });
    s.on('data', (d) => {
      buf += d.toString('utf8');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) break;
        const len = Number(/\r\n(?:Content-Length|l)[ \t]*:[ \t]*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) break;
        const text = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        const g = { status: statusOf(text), text };
        got.push(g);
        if (g.status >= 300 && /\r\nCSeq:\s*\d+\s+INVITE\b/i.test(text)) s.write(ackFor(Buffer.from(`INVITE ${/^\S+ (\S+)/.exec(bytes.toString('latin1'))?.[1] ?? 'sip:x'}`), text));
      }
      if (done(got)) finish();
    });
    s.write(bytes);
  });
}

t.test('RFC 4475 messages over TCP', { skip }, async (t) => {
  for (const name of NAMES) {
    const c = INDEX[name]!;
    const want = c.tcp;
    const bytes = raw(name);
    if (typeof want === 'number' || Array.isArray(want)) {
      const list = Array.isArray(want) ? want : [want];
      const wanted = list.filter((w): w is number => w !== 'close');
      const thenClosed = list.includes('close');
      const r = await overTcp(bytes, (got) => !thenClosed && finals(got).length >= wanted.length, FINAL_MS);
      t.same(finals(r.got), wanted, describe(name, c, want), { got: r.got.map((g) => g.text) });
      if (thenClosed) t.ok(r.closed, `${name}: then the engine closes the connection`);
    } else if (want === 'close') {
      const r = await overTcp(bytes, () => false, FINAL_MS);
      t.ok(r.closed, describe(name, c, want));
      t.same(finals(r.got).filter((s) => s !== 400), [], `${name}: nothing but a 400 before the close`);
    } else {
      const r = await overTcp(bytes, () => false, QUIET_MS);
      t.same(r.got.map((g) => g.status), [], describe(name, c, want));
      t.notOk(r.closed, `${name}: the connection stays open`);
    }
  }
  await assertEngineIdle(t, engine, 64 * T1 + 3000, 'after the TCP run');
});
