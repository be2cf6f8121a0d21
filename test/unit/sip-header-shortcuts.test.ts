/**
 * The shortcuts issue 11 put on the per-message path give exactly what the long way gives
 * (fast-check):
 * - SipHeaders keeps each field's canonical name beside it: after any sequence of set / append /
 *   prepend / remove / removeFirst, every lookup (get, first, getAll, has) and the entries agree
 *   with a plain list searched by canonicalName, as before;
 * - nameAddrTag(v) is parseNameAddr(v)?.tag, and parsesAsNameAddr(v) is !!parseNameAddr(v), on
 *   From/To-shaped text and on arbitrary text;
 * - the parser's top Via and fixupVia's rewrite are what getTopVia then returns (parsed once, still
 *   right after a change);
 * - wire ids are unique version-4 UUIDs, as drachtio-server's; wireTime formats like drachtio-server across second boundaries.
 */
import t from 'tap';
import fc from 'fast-check';
import { canonicalName, SipHeaders, splitHeaderList, type HeaderField } from '../../src/sip/message';
import { getTopVia, nameAddrTag, parseNameAddr, parsesAsNameAddr, parseVia } from '../../src/sip/headers';
import { parseMessage } from '../../src/sip/parser';
import { fixupVia } from '../../src/engine/transport/via';
import { wireId } from '../../src/engine/wire/ids';
import { wireTime } from '../../src/engine/wire/protocol';

const RUNS = { numRuns: 400, seed: 11 };
const NAMES = ['Via', 'v', 'VIA', 'From', 'f', 'To', 't', 'Contact', 'm', 'Route', 'Call-ID', 'i', 'X-Foo', 'x-foo', 'Supported', 'k'];
const name = fc.constantFrom(...NAMES);
const val = fc.constantFrom('a', ' b ', 'c, d', '', '<sip:x@y;lr>, <sip:z@w>', '"q,r" <sip:s@t>', ' , ');

/** The model: a plain list, every lookup resolving each field's spelling (the code before the change). */
class Model {
  fields: HeaderField[] = [];
  get(n: string): string | undefined {
    const w = canonicalName(n);
    return this.fields.find((f) => canonicalName(f.name) === w)?.value;
  }
  getAll(n: string): string[] {
    const w = canonicalName(n);
    const unsplit = new SipHeaders([{ name: n, value: 'p, q' }]).getAll(n).length === 1;
    const out: string[] = [];
    for (const f of this.fields) if (canonicalName(f.name) === w) out.push(...(unsplit ? [f.value] : splitHeaderList(f.value)));
    return out;
  }
  set(n: string, v: string): void {
    const w = canonicalName(n);
    const idx = this.fields.findIndex((f) => canonicalName(f.name) === w);
    this.remove(n);
    this.fields.splice(idx === -1 ? this.fields.length : Math.min(idx, this.fields.length), 0, { name: n, value: v });
  }
  prepend(n: string, v: string): void {
    const w = canonicalName(n);
    const idx = this.fields.findIndex((f) => canonicalName(f.name) === w);
    this.fields.splice(idx === -1 ? this.fields.length : idx, 0, { name: n, value: v });
  }
  remove(n: string): void {
    const w = canonicalName(n);
    this.fields = this.fields.filter((f) => canonicalName(f.name) !== w);
  }
  removeFirst(n: string): void {
    const w = canonicalName(n);
    const idx = this.fields.findIndex((f) => canonicalName(f.name) === w);
    if (idx === -1) return;
    const parts = splitHeaderList(this.fields[idx]!.value);
    if (parts.length <= 1) this.fields.splice(idx, 1);
    else this.fields[idx] = { name: this.fields[idx]!.name, value: parts.slice(1).join(', ') };
  }
}

const op = fc.oneof(
  fc.tuple(fc.constant('set' as const), name, val),
  fc.tuple(fc.constant('append' as const), name, val),
  fc.tuple(fc.constant('prepend' as const), name, val),
  fc.tuple(fc.constant('remove' as const), name, fc.constant('')),
  fc.tuple(fc.constant('removeFirst' as const), name, fc.constant('')),
);

t.test('SipHeaders with kept canonical names answers every lookup as the plain list does', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(name, val), { maxLength: 6 }), fc.array(op, { maxLength: 12 }), (initial, ops) => {
    const h = new SipHeaders(initial.map(([n, v]) => ({ name: n, value: v })));
    const m = new Model();
    m.fields = initial.map(([n, v]) => ({ name: n, value: v }));
    for (const [kind, n, v] of ops) {
      if (kind === 'set') { h.set(n, v); m.set(n, v); }
      else if (kind === 'append') { h.append(n, v); m.fields.push({ name: n, value: v }); }
      else if (kind === 'prepend') { h.prepend(n, v); m.prepend(n, v); }
      else if (kind === 'remove') { h.remove(n); m.remove(n); }
      else { h.removeFirst(n); m.removeFirst(n); }
    }
    if (JSON.stringify(h.entries()) !== JSON.stringify(m.fields)) return false;
    for (const n of NAMES) {
      if (h.get(n) !== m.get(n) || h.has(n) !== (m.get(n) !== undefined)) return false;
      const all = m.getAll(n);
      if (JSON.stringify(h.getAll(n)) !== JSON.stringify(all) || h.first(n) !== all[0]) return false;
    }
    return JSON.stringify(h.clone().entries()) === JSON.stringify(m.fields);
  }), RUNS);
  t.pass('400 random operation sequences: entries, get, has, first and getAll as the plain list');
});

const piece = fc.constantFrom('<', '>', ';', '=', '"', '\\', ' ', ':', 'tag', 'TAG', 'Tag', 'sip', 'a', '1', 'lr', ',', '@', 'x=');
const fromLike = fc.tuple(
  fc.constantFrom('', '"Alice" ', 'Bob ', '"a<b;tag=q" ', '"unclosed '),
  fc.constantFrom('<sip:a@b>', 'sip:a@b', '<sip:a@b;tag=inuri>', '<tel:+1>', '<>', '<nocolon>', 'sip:a@b;x=1'),
  fc.array(fc.constantFrom(';tag=1', ';TAG=2', '; tag = 3 ', ';tag=', ';tag', ';x=y', ';tagx=4', ';;', ' junk', ';tag="q;r"'), { maxLength: 4 }),
).map(([dn, uri, params]) => `${dn}${uri}${params.join('')}`);

t.test('nameAddrTag and parsesAsNameAddr agree with parseNameAddr', async (t) => {
  const same = (v: string): boolean => nameAddrTag(v) === parseNameAddr(v)?.tag && parsesAsNameAddr(v) === (parseNameAddr(v) !== undefined);
  fc.assert(fc.property(fromLike, same), RUNS);
  fc.assert(fc.property(fc.array(piece, { maxLength: 14 }).map((a) => a.join('')), same), RUNS);
  fc.assert(fc.property(fc.string({ maxLength: 60 }), same), RUNS);
  t.equal(nameAddrTag('"A" <sip:a@b;tag=no>;x=1;tag=abc;tag=last'), 'last', 'header parameters only, the last tag wins');
  t.equal(nameAddrTag('<sip:a@b>;tag='), undefined, 'an empty tag is none');
});

const VIA_REQ = (via: string): Buffer => Buffer.from(
  `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKlower\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n` +
  'Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');

t.test('the top Via is parsed once by the parser and stays right after fixupVia rewrites it', async (t) => {
  const r = parseMessage(VIA_REQ('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKtop;rport'));
  t.ok(r.ok, 'parsed');
  if (!r.ok) return;
  const first = getTopVia(r.message);
  t.equal(getTopVia(r.message), first, 'the same parsed Via on every call');
  t.same(first, parseVia('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKtop;rport'), 'and it is the top one');
  fixupVia(r.message.headers, { protocol: 'udp', address: '198.51.100.7', port: 40000 });
  t.equal(first?.params.get('rport'), null, 'the shared Via object was not changed');
  const after = getTopVia(r.message);
  t.equal(after?.params.get('received'), '198.51.100.7', 'received set');
  t.equal(after?.params.get('rport'), '40000', 'rport filled');
  t.same(after, parseVia(r.message.headers.first('via')!), 'what getTopVia returns is what the header now says');
  t.equal(r.message.headers.getAll('via').length, 2, 'the lower Via untouched');

  const bad = parseMessage(VIA_REQ('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKtop;;x'));
  t.notOk(bad.ok, 'a top Via with an empty parameter is still refused');
  const badLower = parseMessage(Buffer.from(VIA_REQ('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa').toString().replace('Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKlower', 'Via: nonsense')));
  t.notOk(badLower.ok, 'a bad lower Via is still refused');
});

t.test('wire ids are unique UUIDs like drachtio-server\'s; wireTime is HH:MM:SS.uuuuuu across seconds', async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < 100_000; i++) ids.add(wireId());
  t.equal(ids.size, 100_000, '100,000 ids, all different');
  t.ok([...ids].every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), 'each a version-4 UUID in canonical form');
  const at = Date.UTC(2026, 11, 3, 23, 59, 59, 987);
  t.match(wireTime(at), /^23:59:59\.987\d{3}$/, 'hours, minutes, seconds, microseconds');
  t.match(wireTime(at + 13), /^00:00:00\.000\d{3}$/, 'the next second (and day)');
  t.match(wireTime(at), /^23:59:59\.987\d{3}$/, 'an earlier time after a later one');
  t.match(wireTime(Date.UTC(2026, 0, 1, 1, 2, 3, 4)), /^01:02:03\.004\d{3}$/, 'padded');
});
