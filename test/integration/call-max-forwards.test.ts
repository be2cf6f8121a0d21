/**
 * Max-Forwards on the carrier leg (issue 10): the carrier gets the caller's value − 1, an INVITE with
 * Max-Forwards 0 gets 483 before any carrier work, and a routing loop back through trunkwise (a
 * carrier whose address is trunkwise itself) ends with 483 at the caller instead of running forever.
 */
import t from 'tap';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runSipp, startSippServer, freePorts, killAll } from '../helpers/sipp';
import { startTrunkwise, carriersYaml, cdrs } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const ROUTES = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }]
    strategy: priority
    maxAttempts: 1
`;

t.teardown(killAll);

t.test('Max-Forwards: 0 → 483; the carrier leg carries the caller\'s value − 1', async (t) => {
  const [port] = await freePorts(1);
  const carrier = await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: port!, timeoutMs: 60_000, extraArgs: ['-trace_msg'] });
  const tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: port!, weight: 1 }], routes: { '99-default.yaml': ROUTES } });
  t.teardown(async () => { await tw.stop(); await carrier.stop(); });
  const zero = await runSipp({ scenario: SC('uac-expect-483.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', calls: 2, rate: 10, timeoutMs: 15_000, extraArgs: ['-key', 'mf', '0'] });
  t.equal(zero.successful, 2, 'Max-Forwards 0: 483 Too Many Hops');
  t.equal(cdrs(tw.logs).length, 0, 'no call was placed');
  const ok = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', calls: 1, rate: 10, duration: 100, timeoutMs: 15_000 });
  t.equal(ok.successful, 1, 'a normal call goes through');
  const r = await carrier.stop();
  const { readdirSync, readFileSync } = await import('node:fs');
  const msgLog = readdirSync(r.dir).find((f) => f.endsWith('_messages.log'));
  const text = msgLog ? readFileSync(path.join(r.dir, msgLog), 'utf8') : '';
  t.match(text, /INVITE sip:[^\n]*\n(?:[^\n]+\n)*?Max-Forwards: 69\r?\n/i, 'the carrier received Max-Forwards: 69 (the caller sent 70)');
});

t.test('a routing loop back through trunkwise ends with 483 at the caller', async (t) => {
  // Two edges, each the other's carrier: trunkwise 1 → trunkwise 2 → trunkwise 1 → …
  const [port] = await freePorts(1);
  const one = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: port!, weight: 1 }], routes: { '99-default.yaml': ROUTES } });
  const two = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: port!, weight: 1 }], routes: { '99-default.yaml': ROUTES } });
  t.teardown(async () => { await one.stop(); await two.stop(); });
  writeFileSync(one.carriersFile, carriersYaml([{ id: 'carrier-a', port: two.sipPort, weight: 1 }]));
  writeFileSync(two.carriersFile, carriersYaml([{ id: 'carrier-a', port: one.sipPort, weight: 1 }]));
  t.equal((await one.admin('POST', '/reload', 'test-token')).status, 200, 'trunkwise 1 routes to trunkwise 2');
  t.equal((await two.admin('POST', '/reload', 'test-token')).status, 200, 'trunkwise 2 routes to trunkwise 1');
  const r = await runSipp({ scenario: SC('uac-expect-483.xml'), remote: `127.0.0.1:${one.sipPort}`, service: '15550001', calls: 1, rate: 1, timeoutMs: 20_000, extraArgs: ['-key', 'mf', '10'] });
  t.equal(r.successful, 1, 'the caller got 483 Too Many Hops');
  await new Promise((res) => setTimeout(res, 1000));
  const hops = [...cdrs(one.logs), ...cdrs(two.logs)];
  t.equal(hops.length, 10, `10 hops through the two edges, then refused (${hops.length} CDRs)`);
  t.ok(hops.every((c) => c.finalStatus === 483), 'each hop ended with 483');
});
