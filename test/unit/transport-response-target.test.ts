/**
 * Response targets and Via fix-ups (RFC 3261 §18.2.1/§18.2.2, RFC 3581) as pure functions: for any
 * top Via a sender can write, a response goes to the real source address, on a port that is either
 * the real source port or the sent-by port — never a forged address, never an unusable port.
 */
import t from 'tap';
import fc from 'fast-check';
import { SipHeaders, type SipRequest, type Target } from '../../src/sip/message';
import { parseVia } from '../../src/sip/headers';
import { responseTarget, streamFallbackTarget, isValidPort } from '../../src/engine/transport/response-target';
import { checkTopVia, fixupVia } from '../../src/engine/transport/via';

function request(via: string): SipRequest {
  const headers = new SipHeaders([
    { name: 'Via', value: via }, { name: 'From', value: '<sip:a@x>;tag=1' }, { name: 'To', value: '<sip:b@y>' },
    { name: 'Call-ID', value: 'c@t' }, { name: 'CSeq', value: '1 OPTIONS' },
  ]);
  return { kind: 'request', method: 'OPTIONS', uri: 'sip:b@y', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

const src: Target = { protocol: 'udp', address: '192.0.2.10', port: 40000 };

t.test('UDP: rport → the real source; no rport → source address + sent-by port', async (t) => {
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1;rport'), src), src);
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1'), src), { protocol: 'udp', address: '192.0.2.10', port: 5070 });
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1'), src), { protocol: 'udp', address: '192.0.2.10', port: 5060 }, 'no port → 5060');
  t.same(responseTarget(request('SIP/2.0/UDP pbx.example.com:5080;branch=z9hG4bK-1'), src), { protocol: 'udp', address: '192.0.2.10', port: 5080 }, 'a host name is not resolved: the source address is used');
});

t.test('forged received / rport are ignored', async (t) => {
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1;received=198.51.100.1;rport=9'), src), src);
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1;received=198.51.100.1'), src), { protocol: 'udp', address: '192.0.2.10', port: 5070 });
});

t.test('unusable sent-by port → the source port; TCP → the connection; fallback → source address + sent-by port', async (t) => {
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:0;branch=z9hG4bK-1'), src), src);
  t.same(responseTarget(request('SIP/2.0/UDP 192.0.2.10:99999;branch=z9hG4bK-1'), src), src);
  const tcp: Target = { protocol: 'tcp', address: '192.0.2.10', port: 41000 };
  t.same(responseTarget(request('SIP/2.0/TCP 192.0.2.99:5070;branch=z9hG4bK-1'), tcp), tcp);
  t.same(streamFallbackTarget(request('SIP/2.0/TCP 192.0.2.99:5070;branch=z9hG4bK-1;received=198.51.100.1'), tcp), { protocol: 'tcp', address: '192.0.2.10', port: 5070 });
  t.same(streamFallbackTarget(request('SIP/2.0/TCP 192.0.2.99;branch=z9hG4bK-1'), tcp), { protocol: 'tcp', address: '192.0.2.10', port: 5060 });
});

t.test('checkTopVia refuses ports nothing can be sent to', async (t) => {
  for (const bad of ['127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:99999']) t.notOk(checkTopVia(request(`SIP/2.0/UDP ${bad};branch=z9hG4bK-1`)).ok, bad);
  for (const r of ['0', '65536', '-1', 'abc', '1.5', '00000000000001']) t.notOk(checkTopVia(request(`SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;rport=${r}`)).ok, `rport=${r}`);
  for (const ok of ['rport', 'rport=', 'rport=9', 'rport=65535']) t.ok(checkTopVia(request(`SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;${ok}`)).ok, ok);
  t.ok(checkTopVia(request('SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1')).ok, 'IPv6 sent-by');
});

t.test('fixupVia writes what the edge observed over what the sender wrote', async (t) => {
  const top = (r: SipRequest): ReturnType<typeof parseVia> => parseVia(r.headers.getAll('via')[0]!);
  let r = request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1;rport');
  fixupVia(r.headers, src);
  t.equal(top(r)?.params.get('rport'), '40000');
  t.equal(top(r)?.params.get('received'), '192.0.2.10', 'RFC 3581: received even when equal to the host');
  r = request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1;received=198.51.100.1');
  fixupVia(r.headers, src);
  t.notOk(top(r)?.params.has('received'), 'a forged received equal to nothing we saw is removed when the host is the source');
  r = request('SIP/2.0/UDP 10.9.9.9:5070;branch=z9hG4bK-1;received=198.51.100.1;rport=9');
  fixupVia(r.headers, src);
  t.equal(top(r)?.params.get('received'), '192.0.2.10');
  t.equal(top(r)?.params.get('rport'), '40000');
  r = request('SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0');
  fixupVia(r.headers, { ...src, address: '192.0.2.11' });
  t.equal(r.headers.getAll('via').length, 2, 'other Via values kept');
  t.equal(top(r)?.params.get('received'), '192.0.2.11');
});

// A Via as a sender might write it: any host, any port (also invalid), any received/rport values.
const viaArb = fc.record({
  proto: fc.constantFrom('UDP', 'TCP'),
  host: fc.oneof(fc.ipV4(), fc.constantFrom('pbx.example.com', '[2001:db8::5]', '192.0.2.10')),
  port: fc.option(fc.oneof(fc.integer({ min: 0, max: 99999 }), fc.constantFrom(0, 1, 65535, 65536)), { nil: undefined }),
  received: fc.option(fc.oneof(fc.ipV4(), fc.constantFrom('', 'x', '::1')), { nil: undefined }),
  rport: fc.option(fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 99999 }).map(String), fc.constantFrom('', 'abc', '-1')), { nil: undefined }),
});
const srcArb = fc.record({ protocol: fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'), address: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }) });

interface ViaIn {
  proto: string;
  host: string;
  port: number | undefined;
  received: string | undefined;
  rport: string | null | undefined;
}

function viaText(v: ViaIn): string {
  let s = `SIP/2.0/${v.proto} ${v.host}${v.port !== undefined ? `:${v.port}` : ''};branch=z9hG4bK-p`;
  if (v.received !== undefined) s += `;received=${v.received}`;
  if (v.rport !== undefined) s += v.rport === null ? ';rport' : `;rport=${v.rport}`;
  return s;
}

t.test('property: the response target is the real source address on the source or sent-by port, always a valid port', async (t) => {
  fc.assert(fc.property(viaArb, srcArb, (v, source) => {
    const req = request(viaText(v));
    for (const target of [responseTarget(req, source), streamFallbackTarget(req, source)]) {
      if (target.address !== source.address) return false;
      if (!isValidPort(target.port)) return false;
      if (target.port !== source.port && target.port !== (v.port ?? 5060)) return false;
    }
    return true;
  }), { numRuns: 5000 });
  t.pass('5,000 random Vias: never a forged address, never an invalid port');
});

t.test('property: after fixupVia a request passing checkTopVia carries the observed source', async (t) => {
  fc.assert(fc.property(viaArb, srcArb, (v, source) => {
    const req = request(viaText(v));
    if (!checkTopVia(req).ok) return v.port !== undefined && !isValidPort(v.port) || v.rport !== undefined && v.rport !== null && v.rport !== '';
    fixupVia(req.headers, source);
    const top = parseVia(req.headers.getAll('via')[0]!)!;
    const received = top.params.get('received');
    if (received !== undefined && received !== source.address) return false;
    if (top.params.has('rport') && top.params.get('rport') !== String(source.port)) return false;
    return true;
  }), { numRuns: 5000 });
  t.pass('5,000 random Vias: received/rport are the observed source or absent');
});
