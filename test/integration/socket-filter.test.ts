/**
 * The allowlist as a kernel socket filter (src/engine/transport/bpf-program.ts, socket-filter.ts),
 * checked against the kernel itself: a receiver on 127.0.0.1 with the program attached, senders bound
 * to other loopback addresses (127.0.0.x, ::1), and what arrives compared with what SourceAdmission —
 * the gate's own matcher — says. A request from an allowed source and a response from anywhere must
 * arrive; a foreign request must not (or 1 in 2^shift of them, when sampling).
 */
import t from 'tap';
import dgram from 'node:dgram';
import fc from 'fast-check';
import { compileAdmissionFilter, MAX_INSTRUCTIONS, type FilterNet } from '../../src/engine/transport/bpf-program';
import { attachFilter, detachFilter, socketFd, unavailable } from '../../src/engine/transport/socket-filter';
import { SourceAdmission } from '../../src/engine/transport/admission';
import { silentLogger } from '../../src/engine/logger';

const why = unavailable();
if (why) {
  t.comment(`skipped: ${why}`);
  process.exit(0);
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bound(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  return s;
}
const close = (s: dgram.Socket): Promise<void> => new Promise((r) => s.close(() => r()));

const netsOf = (allow: string[]): readonly FilterNet[] => {
  const a = new SourceAdmission(silentLogger, { allow });
  const n = a.networks() ?? [];
  a.stop();
  return n;
};

/** Send a request and a response from each source; return the texts that reached the receiver. */
async function deliver(rx: dgram.Socket, senders: dgram.Socket[], extra: (s: dgram.Socket) => string[] = () => []): Promise<Set<string>> {
  const got = new Set<string>();
  const on = (m: Buffer): void => void got.add(m.toString('latin1'));
  rx.on('message', on);
  const { port, address } = rx.address();
  for (const s of senders) {
    const from = s.address().address;
    for (const text of [`OPTIONS sip:x@h SIP/2.0\r\nX-From: ${from}\r\n\r\n`, `SIP/2.0 200 OK\r\nX-From: ${from}\r\n\r\n`, ...extra(s)]) {
      await new Promise<void>((r) => s.send(text, port, address, () => r()));
    }
  }
  await wait(60);
  rx.off('message', on);
  return got;
}

t.test('socketFd reads a bound socket\'s descriptor without the DEP0112 warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? w.message);
  process.on('warning', onWarning);
  const s = await bound('udp4', '127.0.0.1');
  t.type(socketFd(s), 'number');
  t.ok(socketFd(s)! > 2, 'a real descriptor');
  await close(s);
  t.equal(socketFd(s), undefined, 'none once closed');
  await wait(10);
  process.off('warning', onWarning);
  t.same(warnings, [], 'no deprecation warning');
});

t.test('IPv4: for random allowlists, the kernel passes exactly what SourceAdmission allows (and every response)', async (t) => {
  const sources = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
  const rx = await bound('udp4', '127.0.0.1');
  const tx = await Promise.all(sources.map((a) => bound('udp4', a)));
  t.teardown(async () => { await close(rx); for (const s of tx) await close(s); });
  const entry = fc.oneof(
    fc.constantFrom(...sources),
    fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 24, max: 32 })).map(([h, p]) => `127.0.0.${h}/${p}`),
    fc.constantFrom('10.0.0.0/8', '127.0.0.0/8', '127.0.0.8/29', '127.0.0.4/30', '192.0.2.1', '0.0.0.0/0'),
  );
  let runs = 0;
  await fc.assert(fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), async (allow) => {
    runs++;
    const adm = new SourceAdmission(silentLogger, { allow });
    const program = compileAdmissionFilter(adm.networks()!, 31);
    attachFilter(rx, program!);
    const got = await deliver(rx, tx);
    for (const s of tx) {
      const a = s.address().address;
      if (got.has(`OPTIONS sip:x@h SIP/2.0\r\nX-From: ${a}\r\n\r\n`) !== adm.isAllowed(a)) throw new Error(`${a} with ${allow.join(' ')}: kernel ≠ admission`);
      if (!got.has(`SIP/2.0 200 OK\r\nX-From: ${a}\r\n\r\n`)) throw new Error(`response from ${a} dropped`);
    }
    adm.stop();
  }), { numRuns: 40, seed: 9 });
  t.equal(runs, 40, '40 allowlists checked against the kernel');
  t.ok(detachFilter(rx), 'detached');
  const open = await deliver(rx, tx);
  t.equal(open.size, 20, 'after detach every datagram arrives');
});

t.test('IPv6 networks: ::1 matched by whole and partial prefixes', async (t) => {
  let rx: dgram.Socket;
  try {
    rx = await bound('udp6', '::1');
  } catch {
    t.comment('no ::1 here');
    return;
  }
  const tx = await bound('udp6', '::1');
  t.teardown(async () => { await close(rx); await close(tx); });
  for (const [allow, pass] of [
    [['::1'], true], [['::1/128'], true], [['::/127'], true], [['::/64'], true], [['0:0:0:0:0:0:0:0/96'], true],
    [['::2/127'], false], [['::2'], false], [['2001:db8::/32'], false], [['127.0.0.1'], false], [['fe80::/10', '::1/128'], true],
  ] as const) {
    attachFilter(rx, compileAdmissionFilter(netsOf([...allow]), 31)!);
    const got = await deliver(rx, [tx]);
    t.equal([...got].some((m) => m.startsWith('OPTIONS')), pass, `${allow.join(' ')}: request from ::1 ${pass ? 'passes' : 'dropped'}`);
    t.ok([...got].some((m) => m.startsWith('SIP/2.0')), 'the response passes');
  }
});

t.test('a short datagram: kept from an allowed source (CRLF keep-alive), dropped from a foreign one', async (t) => {
  const rx = await bound('udp4', '127.0.0.1');
  const friend = await bound('udp4', '127.0.0.2');
  const foe = await bound('udp4', '127.0.0.3');
  t.teardown(async () => { await close(rx); await close(friend); await close(foe); });
  attachFilter(rx, compileAdmissionFilter(netsOf(['127.0.0.2']), 31)!);
  const got = await deliver(rx, [friend, foe], () => ['\r\n']);
  t.equal([...got].filter((m) => m === '\r\n').length, 1, 'one CRLF arrived');
  t.ok(got.has('SIP/2.0 200 OK\r\nX-From: 127.0.0.3\r\n\r\n'), 'the foreign response arrived');
  t.notOk(got.has('OPTIONS sip:x@h SIP/2.0\r\nX-From: 127.0.0.3\r\n\r\n'), 'the foreign request did not');
});

t.test('sampling: 1 foreign request in 2^shift passes', async (t) => {
  const rx = await bound('udp4', '127.0.0.1');
  const foe = await bound('udp4', '127.0.0.3');
  t.teardown(async () => { await close(rx); await close(foe); });
  attachFilter(rx, compileAdmissionFilter(netsOf(['127.0.0.2']), 3)!);
  let n = 0;
  rx.on('message', () => void n++);
  const { port } = rx.address();
  for (let i = 0; i < 4000; i++) {
    await new Promise<void>((r) => foe.send(`OPTIONS sip:x@h SIP/2.0\r\nX-N: ${i}\r\n\r\n`, port, '127.0.0.1', () => r()));
    // A send's callback does not wait for the I/O phase: without this the receiver never reads and
    // its buffer (~256 such datagrams) overflows, whatever the filter does.
    if (i % 32 === 31) await new Promise<void>((r) => setImmediate(r));
  }
  await wait(100);
  t.ok(n > 350 && n < 650, `4,000 foreign requests, 1 in 8 expected: ${n} arrived`);
});

t.test('a list too long for the kernel is not compiled', async (t) => {
  const many: FilterNet[] = Array.from({ length: 1100 }, (_, i) => ({ family: 'ipv4', address: `10.${i >> 8}.${i & 255}.0`, prefix: 24 }));
  t.equal(compileAdmissionFilter(many, 6), undefined, `${many.length} IPv4 networks need more than ${MAX_INSTRUCTIONS} instructions`);
  t.ok(compileAdmissionFilter(many.slice(0, 900), 6), '900 fit');
});
