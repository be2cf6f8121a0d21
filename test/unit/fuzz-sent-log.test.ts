/**
 * The fuzzer's record of the CSeq numbers it sent per call (fuzz/sent-log.ts), which decides whether
 * a 500 is one RFC 3261 §12.2.2 requires (an in-dialog request whose CSeq is not above one the edge
 * already took in that call). It must count exactly the requests the edge can read (fuzz/findings.md
 * #15): the 630,000-message run counted four 500s for in-order requests (INFO 29, REFER 30,
 * UPDATE 31, BYE 33) as input-caused because a mutated copy with a higher CSeq, written with bare-LF
 * line ends, had been taken by the edge but not by the log's CRLF-only regex.
 */
import t from 'tap';
import { SentLog } from '../../fuzz/sent-log';
import { rfcMandated500 } from '../../fuzz/run';
import type { Endpoint } from '../../fuzz/corpus';

const ME: Endpoint = { host: '127.0.0.2', port: 5070, transport: 'UDP' };
const CALL = 'fz-sentlog-1';

function request(method: string, cseq: string, eol = '\r\n', extra: string[] = []): Buffer {
  const lines = [`${method} sip:+4911100001@127.0.0.1:5060 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-${method}${cseq.replace(/\W/g, '')};rport`,
    'Max-Forwards: 70', 'From: <sip:ivr@127.0.0.2:5070>;tag=a1', 'To: <sip:+4911100001@127.0.0.1:5060>;tag=b1', `Call-ID: ${CALL}`, `CSeq: ${cseq}`,
    'Contact: <sip:ivr@127.0.0.2:5070>', ...extra, 'Content-Length: 0', '', ''];
  return Buffer.from(lines.join(eol), 'latin1');
}

const response500 = (seq: number, method: string): string =>
  `SIP/2.0 500 Server Internal Error\r\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-x\r\nFrom: <sip:ivr@127.0.0.2:5070>;tag=a1\r\nTo: <sip:+4911100001@127.0.0.1:5060>;tag=b1\r\nCall-ID: ${CALL}\r\nCSeq: ${seq} ${method}\r\nContent-Length: 0\r\n\r\n`;

t.test('a bare-LF request with a higher CSeq counts: the in-order requests after it are out of order for the edge', async (t) => {
  const log = new SentLog();
  log.add('caller', ME, request('INVITE', '28 INVITE'), []);
  log.add('caller', ME, request('INFO', '65535 INFO', '\n'), ['numericEdge', 'eol']);
  log.add('caller', ME, request('INFO', '29 INFO'), []);
  log.add('caller', ME, request('BYE', '33 BYE'), []);
  t.equal(log.maxSeq(CALL), 65535, 'the LF-only request raised the CSeq the edge holds');
  t.ok(rfcMandated500(response500(29, 'INFO'), CALL, log), 'INFO 29: §12.2.2');
  t.ok(rfcMandated500(response500(33, 'BYE'), CALL, log), 'BYE 33: §12.2.2');
  t.equal(log.forCall(CALL).length, 4, 'the LF-only request is kept with its call (findings)');
});

t.test('a folded CSeq header counts', async (t) => {
  const log = new SentLog();
  log.add('caller', ME, request('INVITE', '5 INVITE'), []);
  log.add('caller', ME, Buffer.from(request('INFO', '900 INFO').toString('latin1').replace('CSeq: 900 INFO', 'CSeq:\r\n 900 INFO'), 'latin1'), ['folding']);
  log.add('caller', ME, request('INFO', '6 INFO'), []);
  t.equal(log.maxSeq(CALL), 900);
  t.ok(rfcMandated500(response500(6, 'INFO'), CALL, log));
});

t.test('a request the edge refuses (400) never reaches a dialog: it does not count', async (t) => {
  const log = new SentLog();
  log.add('caller', ME, request('INVITE', '5 INVITE'), []);
  log.add('caller', ME, request('INFO', '900 INVITE'), ['cseqMethod']); // CSeq method is not the request's
  log.add('caller', ME, request('INFO', '4294967295 INFO'), ['numericEdge']); // above 2^31 - 1
  log.add('caller', ME, request('INFO', '901 INFO', '\r'), ['eol']); // bare CR line ends
  log.add('caller', ME, request('INFO', '6 INFO'), []);
  t.equal(log.maxSeq(CALL), 6);
  t.notOk(rfcMandated500(response500(6, 'INFO'), CALL, log), 'INFO 6 was in order: a 500 for it is input-caused');
});

t.test('over TCP, CRLFs before the start line are skipped (as the edge\'s stream framer does); over UDP the datagram does not parse', async (t) => {
  const tcp: Endpoint = { ...ME, transport: 'TCP' };
  const crlfFirst = (b: Buffer): Buffer => Buffer.concat([Buffer.from('\r\n\r\n\r\n'), b]);
  const overTcp = new SentLog();
  overTcp.add('caller', tcp, request('INVITE', '471 INVITE'), []);
  overTcp.add('caller', tcp, crlfFirst(request('REFER', '900 REFER')), ['leadingCrlf']);
  overTcp.add('caller', tcp, request('INFO', '477 INFO'), []);
  t.equal(overTcp.maxSeq(CALL), 900);
  t.ok(rfcMandated500(response500(477, 'INFO'), CALL, overTcp), 'INFO 477 after REFER 900 over TCP: §12.2.2');
  const overUdp = new SentLog();
  overUdp.add('caller', ME, request('INVITE', '471 INVITE'), []);
  overUdp.add('caller', ME, crlfFirst(request('REFER', '900 REFER')), ['leadingCrlf']);
  t.equal(overUdp.maxSeq(CALL), 471, 'a datagram starting with CRLF is refused by the edge');
  t.equal(overUdp.forCall(CALL).length, 2, 'still kept with its call for findings');
});

t.test('over TCP, a body shorter than its Content-Length is completed by the stream: the edge reads the request', async (t) => {
  const tcp: Endpoint = { ...ME, transport: 'TCP' };
  const longer = (b: Buffer): Buffer => Buffer.from(b.toString('latin1').replace('Content-Length: 0', 'Content-Length: 1'), 'latin1');
  const overTcp = new SentLog();
  overTcp.add('caller', tcp, request('INVITE', '471 INVITE'), []);
  overTcp.add('caller', tcp, longer(request('INFO', '65535 INFO')), ['wrongLength', 'numericEdge']);
  t.equal(overTcp.maxSeq(CALL), 65535, 'framed with the next byte of the stream as its body');
  t.ok(rfcMandated500(response500(476, 'REFER'), CALL, (overTcp.add('caller', tcp, request('REFER', '476 REFER'), []), overTcp)));
  const overUdp = new SentLog();
  overUdp.add('caller', ME, request('INVITE', '471 INVITE'), []);
  overUdp.add('caller', ME, longer(request('INFO', '65535 INFO')), ['wrongLength', 'numericEdge']);
  t.equal(overUdp.maxSeq(CALL), 471, 'a datagram shorter than its Content-Length is refused');
});

t.test('over TCP, a request completed by later bytes may reach the edge after higher CSeqs sent meanwhile', async (t) => {
  const tcp: Endpoint = { ...ME, transport: 'TCP' };
  const log = new SentLog();
  log.add('caller', tcp, request('INVITE', '870 INVITE'), []);
  log.add('caller', tcp, Buffer.from(request('UPDATE', '871 UPDATE').toString('latin1').replace('Content-Length: 0', 'Content-Length: 1000'), 'latin1'), ['wrongLength']);
  t.notOk(rfcMandated500(response500(871, 'UPDATE'), CALL, log), 'nothing higher sent yet: a 500 would be input-caused');
  log.add('caller', ME, request('BYE', '872 BYE'), []); // the hang-up, over UDP
  t.ok(rfcMandated500(response500(871, 'UPDATE'), CALL, log), 'BYE 872 overtook it: §12.2.2');
});
