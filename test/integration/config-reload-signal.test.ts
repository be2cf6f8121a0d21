/**
 * Reload never crashes (issue 9): SIGHUP with a carriers.yaml that expands too many YAML aliases
 * (the `yaml` package's "Excessive alias count") is refused and logged with the file and a fix; the
 * process keeps running on the previous configuration and still places calls. A valid file after
 * that is taken.
 */
import t from 'tap';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runSipp, startSippServer, freePorts, killAll } from '../helpers/sipp';
import { startTrunkwise, carriersYaml } from '../helpers/trunkwise-process';

const SC = (n: string): string => path.join(__dirname, '..', 'scenarios', n);
const ROUTES = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }]
    strategy: priority
`;
// 9 × 9 × 9 × 9 values from four lines: the alias expansion a "billion laughs" file relies on.
const ALIAS_BOMB = `x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
carriers: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
`;

t.teardown(killAll);

const waitFor = async (pred: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms;
  while (!pred() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return pred();
};

t.test('SIGHUP with an alias bomb: refused with file and fix, the process and its calls carry on', async (t) => {
  const [port] = await freePorts(1);
  const carrier = await startSippServer({ scenario: SC('uas-carrier-answer.xml'), localPort: port!, timeoutMs: 60_000 });
  const tw = await startTrunkwise({ carriers: [{ id: 'carrier-a', port: port!, weight: 1 }], routes: { '99-default.yaml': ROUTES } });
  t.teardown(async () => {
    await tw.stop();
    await carrier.stop();
  });

  writeFileSync(tw.carriersFile, ALIAS_BOMB);
  t.ok(tw.signal('SIGHUP'), 'SIGHUP sent');
  const refused = await waitFor(() => tw.logs.some((l) => l.msg === 'configuration reload refused; the running configuration stays in force'), 5000);
  t.ok(refused, 'the reload is refused and logged');
  const line = tw.logs.find((l) => l.msg === 'configuration reload refused; the running configuration stays in force');
  const errors = (line?.errors ?? []) as Array<{ file: string; message: string; fix: string }>;
  t.ok(errors.some((e) => /carriers\.yaml$/.test(e.file) && /alias/i.test(e.message) && e.fix.length > 0), `the log names the file, the cause and a fix: ${JSON.stringify(errors)}`);
  await new Promise((r) => setTimeout(r, 500));
  t.ok(tw.running(), 'trunkwise is still running');

  const r = await runSipp({ scenario: SC('uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 10, calls: 5, duration: 100, timeoutMs: 20_000 });
  t.equal(r.successful, 5, 'calls still go out on the running configuration');

  writeFileSync(tw.carriersFile, carriersYaml([{ id: 'carrier-a', port: port!, weight: 2 }]));
  tw.signal('SIGHUP');
  t.ok(await waitFor(() => tw.logs.some((l) => l.msg === 'configuration reloaded'), 5000), 'a valid file after that is taken');
});
