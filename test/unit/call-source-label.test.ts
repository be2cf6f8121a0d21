import t from 'tap';
import { sourceLabeller } from '../../src/app/source-label';

t.test('the label is the matching allowlist entry or "foreign", never the address', async (t) => {
  const label = sourceLabeller(['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32']);
  t.equal(label('10.1.2.3'), '10.0.0.0/8');
  t.equal(label('192.0.2.7'), '192.0.2.7/32');
  t.equal(label('2001:db8::1'), '2001:db8::/32');
  t.equal(label('198.51.100.9'), 'foreign');
  t.equal(label('not-an-address'), 'foreign');
  const seen = new Set(Array.from({ length: 1000 }, (_, i) => label(`203.0.${i % 256}.${i % 7}`)));
  t.same([...seen], ['foreign'], '1,000 spoofed sources: one label');
});
