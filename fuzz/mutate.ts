/**
 * Mutation operators over real SIP messages: structural ones on a Draft (header drops/dups, numeric
 * edge values, Via/rport/port games, huge values, wrong Content-Length, URI and start-line damage)
 * and byte-level ones on the serialised message (truncation, CRLF games, binary junk, bit flips).
 * Each operator has a name: the run counts them and a finding names the ones that produced it.
 */
import { serialize, type Draft } from './draft';
import type { Rng } from './prng';

type DraftOp = (d: Draft, rng: Rng) => void;
type ByteOp = (b: Buffer, rng: Rng) => Buffer;

const NUMBERS = ['0', '-1', '1', '65535', '65536', '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740993', '1e3', '0x10',
  '00000000000000000001', '99999999999999999999999', 'NaN', 'abc', '', ' ', '1.5', '+5', '१२'];
const PORTS = ['0', '65535', '65536', '-1', '99999', 'abc', '', '5060a', '1e4', '00005060'];
const HOSTS = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '[::1]', '[::ffff:127.0.0.1]', 'localhost', 'no-such-host.invalid', '999.1.1.1', '', 'a'.repeat(300), '[::1', 'host_under'];
const HEADER_NAMES = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Route', 'Record-Route',
  'Require', 'Supported', 'Session-Expires', 'Min-SE', 'RSeq', 'RAck', 'Expires', 'Authorization', 'Proxy-Authorization', 'Reason', 'Allow',
  'P-Asserted-Identity', 'Priority', 'Event', 'Replaces', 'Refer-To', 'v', 'f', 't', 'i', 'l', 'm', 'c', 'k', 'x'];

const byName = (d: Draft, re: RegExp): number[] => d.headers.flatMap(([k], i) => (re.test(k) ? [i] : []));
const oneOf = (d: Draft, rng: Rng, re: RegExp): number | undefined => {
  const all = byName(d, re);
  return all.length ? rng.pick(all) : undefined;
};
const anyIndex = (d: Draft, rng: Rng): number | undefined => (d.headers.length ? rng.int(d.headers.length) : undefined);

export const DRAFT_OPS: Record<string, DraftOp> = {
  dropHeader: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i !== undefined) d.headers.splice(i, 1);
  },
  dropRequired: (d, rng) => {
    const i = oneOf(d, rng, /^(via|from|to|call-id|cseq|max-forwards|contact|v|f|t|i)$/i);
    if (i !== undefined) d.headers.splice(i, 1);
  },
  dupHeader: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i !== undefined) d.headers.splice(rng.int(d.headers.length + 1), 0, [d.headers[i]![0], rng.chance(0.5) ? d.headers[i]![1] : `${d.headers[i]![1]}x`]);
  },
  shuffleHeaders: (d, rng) => {
    for (let i = d.headers.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [d.headers[i], d.headers[j]] = [d.headers[j]!, d.headers[i]!];
    }
  },
  numericEdge: (d, rng) => {
    const i = oneOf(d, rng, /^(cseq|max-forwards|content-length|l|expires|session-expires|min-se|rseq|rack)$/i);
    if (i === undefined) return;
    const [k, v] = d.headers[i]!;
    d.headers[i] = [k, v.replace(/-?\d+/, () => rng.pick(NUMBERS))];
    if (/^(content-length|l)$/i.test(k)) d.keepLength = true;
  },
  cseqMethod: (d, rng) => {
    const i = oneOf(d, rng, /^cseq$/i);
    if (i !== undefined) d.headers[i] = ['CSeq', `${rng.pick(NUMBERS)} ${rng.pick(['INVITE', 'ACK', 'BYE', 'CANCEL', 'FOO', '', 'invite', 'INVITE INVITE'])}`];
  },
  viaPort: (d, rng) => {
    const i = oneOf(d, rng, /^(via|v)$/i);
    if (i === undefined) return;
    d.headers[i]![1] = d.headers[i]![1].replace(/^(SIP\/2\.0\/\S+\s+)([^;:\s]+)(:\d+)?/i, (_m, p: string, h: string) => `${p}${rng.chance(0.3) ? rng.pick(HOSTS) : h}:${rng.pick(PORTS)}`);
  },
  viaRport: (d, rng) => {
    const i = oneOf(d, rng, /^(via|v)$/i);
    if (i === undefined) return;
    const v = d.headers[i]![1].replace(/;rport(=[^;]*)?/i, '');
    d.headers[i]![1] = `${v};rport=${rng.pick(PORTS)}${rng.chance(0.5) ? `;received=${rng.pick(HOSTS)}` : ''}`;
  },
  viaBranch: (d, rng) => {
    const i = oneOf(d, rng, /^(via|v)$/i);
    if (i === undefined) return;
    const branch = rng.pick(['', 'z9hG4bK', 'abc', 'z9hG4bK'.repeat(200), 'z9hG4bK;;', '"quoted"', 'z9hG4bK\u00e9']);
    d.headers[i]![1] = d.headers[i]![1].replace(/;branch=[^;]*/i, branch ? `;branch=${branch}` : '');
  },
  viaProtocol: (d, rng) => {
    const i = oneOf(d, rng, /^(via|v)$/i);
    if (i !== undefined) d.headers[i]![1] = d.headers[i]![1].replace(/^SIP\/2\.0\/\S+/i, rng.pick(['SIP/2.0/TLS', 'SIP/2.0/SCTP', 'SIP/2.0/WS', 'SIP/3.0/UDP', 'SIP/2.0/', 'SIP', '']));
  },
  extraVias: (d, rng) => {
    const n = rng.pick([1, 2, 70, 500]);
    for (let k = 0; k < n; k++) d.headers.splice(0, 0, ['Via', `SIP/2.0/UDP ${rng.pick(HOSTS)}:${rng.pick(PORTS)};branch=z9hG4bK${rng.token(6)}`]);
  },
  hugeValue: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i !== undefined) d.headers[i]![1] += rng.pick(['a', ';p=', ',', '<sip:x@y>, ']).repeat(rng.pick([1000, 10_000, 70_000]));
  },
  manyHeaders: (d, rng) => {
    const n = rng.pick([100, 1000, 5000]);
    for (let k = 0; k < n; k++) d.headers.push([`X-F${k}`, rng.token(4)]);
  },
  hugeBody: (d, rng) => {
    d.body += 'a=x-fuzz:'.padEnd(rng.pick([1000, 20_000, 70_000]), 'z');
  },
  wrongLength: (d, rng) => {
    const len = Buffer.byteLength(d.body);
    d.headers = d.headers.filter(([k]) => !/^(content-length|l)$/i.test(k));
    d.headers.push([rng.pick(['Content-Length', 'l', 'content-length']), rng.pick([String(len + 1), String(len + 1000), String(Math.max(0, len - 1)), '0', '-1', '99999999', 'x', `${len}, ${len}`])]);
    if (rng.chance(0.2)) d.headers.push(['Content-Length', String(len)]);
    d.keepLength = true;
  },
  noLength: (d) => {
    d.headers = d.headers.filter(([k]) => !/^(content-length|l)$/i.test(k));
    d.keepLength = true;
  },
  badUri: (d, rng) => {
    const parts = d.start.split(' ');
    if (d.start.startsWith('SIP/')) return;
    parts[1] = rng.pick(['tel:+4930123', 'sips:x@127.0.0.1', 'sip:', 'sip:@', 'sip:a@b:99999', 'sip:a@[::1', 'http://x', '*', '<sip:x@y>', 'sip:x@y;transport=tcp;transport=udp',
      `sip:${'9'.repeat(5000)}@127.0.0.1`, 'sip:%00@127.0.0.1', 'sip:+4930%zz@127.0.0.1', 'sip:placeholder']);
    d.start = parts.join(' ');
  },
  badStartLine: (d, rng) => {
    d.start = rng.pick([d.start.toLowerCase(), d.start.replace('SIP/2.0', 'SIP/3.0'), d.start.replace(/ /g, '  '), d.start.replace(/ SIP\/2\.0$/, ''),
      `${d.start} extra`, d.start.replace(/^\S+/, 'INV ITE'), d.start.replace(/^\S+/, 'X'.repeat(3000)), d.start.replace(/^SIP\/2\.0 \d+/, `SIP/2.0 ${rng.pick(['0', '99', '700', '2000', '-1', '200x', ''])}`), '', ' ']);
  },
  statusCode: (d, rng) => {
    if (!d.start.startsWith('SIP/')) return;
    const code = rng.pick([101, 180, 181, 182, 183, 199, 200, 202, 299, 300, 302, 380, 401, 403, 404, 407, 408, 420, 421, 422, 423, 481, 486, 487, 488, 491, 501, 502, 503, 504, 580, 600, 603, 699]);
    d.start = d.start.replace(/^SIP\/2\.0 \d+/, `SIP/2.0 ${code}`);
  },
  nameAddr: (d, rng) => {
    const i = oneOf(d, rng, /^(from|to|contact|f|t|m|route|record-route|p-asserted-identity|refer-to)$/i);
    if (i === undefined) return;
    d.headers[i]![1] = rng.pick(['', '<>', '<sip:x', 'sip:x@y;tag=', '"unterminated <sip:a@b>', '*', '<tel:+4930>;tag=a;tag=b', `<sip:a@${rng.pick(HOSTS)}:${rng.pick(PORTS)}>`,
      `<sip:a@b>;tag=${'t'.repeat(2000)}`, 'a@b', '<sip:a@b>;expires=-1', `${d.headers[i]![1]},${d.headers[i]![1]}`, 'Anonymous <sip:anonymous@anonymous.invalid>']);
  },
  tagGames: (d, rng) => {
    const i = oneOf(d, rng, /^(to|t|from|f)$/i);
    if (i === undefined) return;
    const v = d.headers[i]![1].replace(/;\s*tag=[^;]*/i, '');
    d.headers[i]![1] = rng.chance(0.5) ? v : `${v};tag=${rng.pick(['', rng.token(8), 'x;tag=y'])}`;
  },
  contentType: (d, rng) => {
    d.headers = d.headers.filter(([k]) => !/^(content-type|c)$/i.test(k));
    d.headers.push(['Content-Type', rng.pick(['application/unknownformat', 'multipart/mixed;boundary=x', 'application/sdp;charset=x', 'text/plain', '', '/', 'application/SDP'])]);
  },
  sdpDamage: (d, rng) => {
    d.body = rng.pick([
      d.body.replace(/m=audio \d+/, `m=audio ${rng.pick(PORTS)}`),
      d.body.replace(/c=IN IP4 \S+/, `c=IN IP4 ${rng.pick(HOSTS)}`),
      d.body.replace(/v=0\r\n/, ''),
      d.body.replace(/\r\n/g, '\n'),
      d.body + 'm=video 0 RTP/AVP 96\r\n',
      d.body.replace(/m=audio.*\r\n/, ''),
      d.body.replace(/RTP\/AVP [\d ]+/, 'RTP/AVP'),
      'v=0\r\n',
      rng.token(40),
    ]);
  },
  requireUnknown: (d, rng) => {
    d.headers.push([rng.pick(['Require', 'Proxy-Require', 'Supported']), rng.pick(['foo', '100rel', 'timer', 'precondition', '', ',,,'])]);
  },
  route: (d, rng) => {
    d.headers.splice(1, 0, [rng.pick(['Route', 'Record-Route']), rng.pick([`<sip:${rng.pick(HOSTS)}:${rng.pick(PORTS)};lr>`, '<sip:x;lr>,<sip:y>', '<>', 'garbage'])]);
  },
  authGames: (d, rng) => {
    d.headers.push([rng.pick(['Authorization', 'Proxy-Authorization']), rng.pick(['Digest', 'Digest username="a", realm="b", nonce="c", uri="d", response="e"', 'Basic YTpi',
      'Digest username=', `Digest ${'x='.repeat(1000)}`])]);
  },
  headerName: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i === undefined) return;
    d.headers[i]![0] = rng.pick([d.headers[i]![0].toUpperCase(), `${d.headers[i]![0]} `, ` ${d.headers[i]![0]}`, '', 'X Bad', 'Ü', rng.pick(HEADER_NAMES)]);
  },
  emptyValue: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i !== undefined) d.headers[i]![1] = rng.pick(['', ' ', ';', ',', '<', '"']);
  },
  folding: (d, rng) => {
    const i = anyIndex(d, rng);
    if (i !== undefined) d.headers[i]![1] = d.headers[i]![1].replace(/;/, rng.pick(['\r\n ;', '\r\n\t;', '\n ;']));
  },
  eol: (d, rng) => {
    d.eol = rng.pick(['\n', '\r', '\r\r\n', '\n\r']);
  },
};

export const BYTE_OPS: Record<string, ByteOp> = {
  truncate: (b, rng) => b.subarray(0, rng.int(b.length)),
  truncateHead: (b, rng) => b.subarray(0, b.indexOf('\r\n\r\n') + rng.range(0, 3)),
  flipBits: (b, rng) => {
    const c = Buffer.from(b);
    for (let k = rng.range(1, 8); k > 0 && c.length; k--) c[rng.int(c.length)] ^= 1 << rng.int(8);
    return c;
  },
  junkInsert: (b, rng) => {
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 64)), b.subarray(at)]);
  },
  nulBytes: (b, rng) => {
    const c = Buffer.from(b);
    for (let k = rng.range(1, 4); k > 0 && c.length; k--) c[rng.int(c.length)] = 0;
    return c;
  },
  invalidUtf8: (b, rng) => {
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80, 0xae]])), b.subarray(at)]);
  },
  leadingCrlf: (b, rng) => Buffer.concat([Buffer.from('\r\n'.repeat(rng.range(1, 4))), b]),
  trailingJunk: (b, rng) => Buffer.concat([b, rng.chance(0.5) ? Buffer.from('\r\n\r\n') : rng.bytes(rng.range(1, 200))]),
  doubleMessage: (b) => Buffer.concat([b, b]),
  onlyJunk: (_b, rng) => rng.bytes(rng.range(0, 1500)),
  crlfOnly: (_b, rng) => Buffer.from(rng.pick(['\r\n', '\r\n\r\n', '\n', ' ', 'SIP/2.0', 'INVITE', 'INVITE sip:x SIP/2.0\r\n\r\n'])),
};

export interface Mutated {
  bytes: Buffer;
  ops: string[];
}

const DRAFT_NAMES = Object.keys(DRAFT_OPS);
const BYTE_NAMES = Object.keys(BYTE_OPS);

/**
 * Mutate one message: usually 1–3 structural operators, sometimes a byte-level one after them.
 * `cleanShare` of messages go out untouched (real traffic mixed in, so dialogs and transactions form).
 */
export function mutate(d: Draft, rng: Rng, cleanShare: number): Mutated {
  if (rng.chance(cleanShare)) return { bytes: serialize(d), ops: [] };
  const ops: string[] = [];
  const structural = rng.chance(0.85) ? rng.range(1, 3) : 0;
  for (let k = 0; k < structural; k++) {
    const name = rng.pick(DRAFT_NAMES);
    DRAFT_OPS[name]!(d, rng);
    ops.push(name);
  }
  let bytes = serialize(d);
  if (structural === 0 || rng.chance(0.15)) {
    const name = rng.pick(BYTE_NAMES);
    bytes = BYTE_OPS[name]!(bytes, rng);
    ops.push(name);
  }
  return { bytes, ops };
}
