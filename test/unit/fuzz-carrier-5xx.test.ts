/**
 * The 1,000,000-message fuzz run of 3 Dec (16:16) counted one 500 as input-caused: the fuzz carrier's
 * mutated "486 Busy Here" had become "586 Busy Here" (flipBits), the edge took it as the attempt's
 * final (CDR: status 586, fault carrier) and, 586 being outside drachtio-srf's table, answered the
 * caller with its class's 500 (RFC 3261 §8.1.3.2; fuzz/findings.md #1). The carrier chose that 5xx,
 * not the edge: the fuzzer now remembers class-5 finals its carrier sent, by dialled number, and
 * counts such a 500 apart (relayedCarrier5xx).
 */
import t from 'tap';
import { Actors } from '../../fuzz/actors';
import { SentLog } from '../../fuzz/sent-log';
import { Rng } from '../../fuzz/prng';

const invite = { start: 'INVITE sip:+4911141170@127.0.0.1:36395;transport=udp SIP/2.0' };
const to500 = (number: string): string => ['SIP/2.0 500 Server Internal Error', 'Via: SIP/2.0/TCP 127.0.0.11:37529;branch=z9hG4bK-4h08nijrfsn8',
  'From: "fuzz" <sip:ivr@127.0.0.11:37529>;tag=n6wvroa0', `To: <sip:${number}@127.0.0.1:34739>;tag=55514e14f1b8`, 'Call-ID: fz-rvviseed8ru7ro',
  'CSeq: 733 INVITE', 'Content-Length: 0', '', ''].join('\r\n');

t.test('a 500 that relays the fuzz carrier\'s own 586 is recognised; other 500s are not', async (t) => {
  const a = new Actors(new Rng(1), new SentLog(), 10, () => undefined);
  t.notOk(a.carrierSent5xxFor(to500('+4911141170')), 'nothing sent yet');
  a.noteCarrier5xx(invite, Buffer.from('SIP/2.0 486 Busy Here\r\nVia: x\r\n\r\n'));
  t.notOk(a.carrierSent5xxFor(to500('+4911141170')), 'a 486 is not a 5xx');
  a.noteCarrier5xx(invite, Buffer.from('SIP/2.0 5x6 Busy Here\r\n'));
  t.notOk(a.carrierSent5xxFor(to500('+4911141170')), 'a damaged status line is no final');
  a.noteCarrier5xx(invite, Buffer.from('SIP/2.0 586 Busy Here\r\nVia: sIP/2.0/UDP 127.0.0.1:34739\r\n\r\n'));
  t.ok(a.carrierSent5xxFor(to500('+4911141170')), 'the 586 for that number');
  t.notOk(a.carrierSent5xxFor(to500('+4911141171')), 'another number');
});
