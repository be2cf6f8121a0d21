import t from 'tap';
import { parseDrachtioConfig, parseContact } from '../../src/engine/drachtio-config';

const SAMPLE = `<drachtio>
  <admin port="9023" secret="cymru">127.0.0.2</admin>
  <sip>
    <contacts>
      <contact>sip:127.0.0.1:5080;transport=udp,tcp</contact>
      <contact external-ip="203.0.113.9">sip:127.0.0.1:5090;transport=tcp</contact>
    </contacts>
    <spammers action="reject" tcp-action="discard">
      <header name="User-Agent">
        <value>sip-cli</value>
        <value>friendly-scanner</value>
      </header>
      <header name="To"><value>sipvicious</value></header>
    </spammers>
    <user-agent-options-auto-respond>Kamailio</user-agent-options-auto-respond>
    <timers><t1>250</t1></timers>
    <tls><key-file>/x</key-file></tls>
  </sip>
  <cdrs>true</cdrs>
  <logging><loglevel>debug</loglevel></logging>
</drachtio>`;

t.test('reads admin, contacts, spammers, auto-respond, timers and cdrs', async (t) => {
  const c = parseDrachtioConfig(SAMPLE);
  t.same(c.options.wire, { host: '127.0.0.2', port: 9023, secret: 'cymru' });
  t.same(c.options.sip, [
    { protocol: 'udp', address: '127.0.0.1', port: 5080 },
    { protocol: 'tcp', address: '127.0.0.1', port: 5080 },
    { protocol: 'tcp', address: '127.0.0.1', port: 5090, advertise: '203.0.113.9' },
  ]);
  t.equal(c.options.behaviour?.userAgentOptionsAutoRespond, 'Kamailio');
  t.equal(c.options.behaviour?.cdrs, true);
  t.same(c.options.behaviour?.spammers, {
    udpAction: 'reject', tcpAction: 'discard',
    headers: [{ name: 'user-agent', values: ['sip-cli', 'friendly-scanner'] }, { name: 'to', values: ['sipvicious'] }],
  });
  t.equal(c.options.timers?.T1, 250);
  t.equal(c.options.timers?.T2, 4000);
  t.equal(c.loglevel, 'debug');
  t.ok(c.ignored.includes('sip.tls'), 'unsupported settings are reported, not silently dropped');
});

t.test('defaults follow drachtio-server', async (t) => {
  const c = parseDrachtioConfig('<drachtio><admin>127.0.0.1</admin></drachtio>');
  t.same(c.options.wire, { host: '127.0.0.1', port: 9022, secret: 'admin' });
  t.equal(c.options.behaviour?.cdrs, false);
});

t.test('a single <contact> (older layout) works too', async (t) => {
  const c = parseDrachtioConfig('<drachtio><admin>127.0.0.1</admin><sip><contact>sip:*:5062;transport=udp</contact></sip></drachtio>');
  t.same(c.options.sip, [{ protocol: 'udp', address: '0.0.0.0', port: 5062 }]);
});

t.test('bad input is a clear error', async (t) => {
  t.throws(() => parseDrachtioConfig('<nope/>'), /root element must be <drachtio>/);
  t.throws(() => parseContact('http://x'), /invalid <contact>/);
  t.throws(() => parseContact('sip:1.2.3.4;transport=tls'), /not supported/);
});
