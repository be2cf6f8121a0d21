/**
 * The next-steps banner `npm start` ends with (issue 14, "First run"): the dashboard URL, a SIPp line
 * that calls the address trunkwise listens on, how to make a simulated carrier sick and heal it, the
 * drain command, and how to stop — each aimed at the addresses really in use. The real start prints
 * it (test/integration/first-run-signals.test.ts checks the dashboard line there, first-run-demo.test.ts
 * pastes its drain command); this checks every line of it for each way trunkwise can be started.
 */
import t from 'tap';
import { nextStepsBanner, type BannerInput } from '../../src/admin/banner';

const base: BannerInput = {
  sip: { host: '127.0.0.1', port: 5062 },
  http: { host: '127.0.0.1', port: 8081 },
  carriers: 5,
  carriersFile: 'carriers.yaml',
  simControl: 'http://127.0.0.1:8090',
  adminTokenSet: false,
  demoToken: undefined,
};

/** The banner's "label  value" row whose label is `label`. */
function row(text: string, label: string): string | undefined {
  return text.split('\n').find((l) => l.trimStart().startsWith(label));
}

t.test('npm start with the simulator: dashboard, SIPp, sick carriers, stop — on the addresses in use', async (t) => {
  const b = nextStepsBanner(base);
  t.match(b, /trunkwise is ready — SIP 127\.0\.0\.1:5062 \(UDP\+TCP\), admin http:\/\/127\.0\.0\.1:8081/);
  t.match(b, /5 simulated carriers from carriers\.yaml \(simulator control API http:\/\/127\.0\.0\.1:8090\)/, 'says the simulator and its control API are running');
  t.match(row(b, 'Dashboard (NOC)'), /http:\/\/127\.0\.0\.1:8081\/dashboard\/$/, 'the dashboard URL');
  t.match(row(b, 'One line per carrier'), /npm run status .*http:\/\/127\.0\.0\.1:8081\/carriers\?view=summary/, 'the summary');
  t.match(row(b, 'Send 500 alarm calls'), /sipp -sn uac -s 15550001 .* -m 500 .* -i 127\.0\.0\.1 -p \d+ 127\.0\.0\.1:5062$/, 'a SIPp line aimed at trunkwise\'s SIP address');
  t.match(row(b, 'Calls with RTP'), /npm run ivr -- --target 127\.0\.0\.1:5062 /);
  t.match(row(b, 'Make a carrier sick'), /curl -X PATCH -d '\{"mode":"silent","optionsCode":0\}' http:\/\/127\.0\.0\.1:8090\/carriers\/carrier-a$/, 'how to make a carrier sick, on the simulator\'s control API');
  for (const l of ['… 10 % SIP loss', '… 10 % RTP loss', '… heal it']) t.match(row(b, l), /curl -X PATCH .*http:\/\/127\.0\.0\.1:8090\/carriers\/carrier-[a-e]/, l);
  // Every simulator command is valid JSON the simulator can take.
  for (const m of b.matchAll(/-d '([^']+)'/g)) t.doesNotThrow(() => JSON.parse(m[1]!), `valid JSON: ${m[1]}`);
  t.match(row(b, 'Drain a carrier'), /set TRUNKWISE_ADMIN_TOKEN first/, 'without a token: how to get the drain to work, not a command that answers 401');
  t.match(row(b, 'Events, metrics'), /http:\/\/127\.0\.0\.1:8081\/events .*http:\/\/127\.0\.0\.1:8081\/metrics/);
  t.match(row(b, 'Stop'), /^\s*Stop\s+Ctrl-C — new calls get 503, calls up drain \(up to 30 s, then both legs get BYE\), then the simulator stops$/, 'how to stop, and what Ctrl-C does');
});

t.test('the demo: its token is printed and is the one in the drain command', async (t) => {
  const b = nextStepsBanner({ ...base, adminTokenSet: true, demoToken: 'demo-token' });
  t.match(b, /admin token demo-token\)/);
  t.match(row(b, 'Drain a carrier'), /curl -X POST -H "Authorization: Bearer demo-token" http:\/\/127\.0\.0\.1:8081\/carriers\/carrier-d\/drain$/);
});

t.test('a token of the operator\'s own is never printed', async (t) => {
  const b = nextStepsBanner({ ...base, adminTokenSet: true });
  t.match(row(b, 'Drain a carrier'), /Bearer \$TRUNKWISE_ADMIN_TOKEN"/, 'the variable, not its value');
});

t.test('real carriers (--carriers FILE): no simulator commands, and it says so', async (t) => {
  const b = nextStepsBanner({ ...base, simControl: undefined, carriersFile: '/etc/trunkwise/carriers.yaml', carriers: 3 });
  t.match(b, /3 carriers from \/etc\/trunkwise\/carriers\.yaml \(no simulator\)/);
  t.notMatch(b, /PATCH|Make a carrier sick|8090/, 'no command for a simulator that is not running');
  t.match(row(b, 'Stop'), /BYE\)$/, 'stopping does not mention a simulator');
});

t.test('wildcard listen addresses: the commands use loopback, IPv6 in brackets', async (t) => {
  const v4 = nextStepsBanner({ ...base, sip: { host: '0.0.0.0', port: 5060 }, http: { host: '0.0.0.0', port: 8080 } });
  t.match(row(v4, 'Dashboard (NOC)'), /http:\/\/127\.0\.0\.1:8080\/dashboard\//);
  t.match(row(v4, 'Send 500 alarm calls'), /-i 127\.0\.0\.1 -p \d+ 127\.0\.0\.1:5060$/);
  t.notMatch(v4, /0\.0\.0\.0/, 'never tells anyone to send to 0.0.0.0');
  const v6 = nextStepsBanner({ ...base, sip: { host: '::1', port: 5060 }, http: { host: '::', port: 8080 } });
  t.match(row(v6, 'Dashboard (NOC)'), /http:\/\/127\.0\.0\.1:8080\/dashboard\//);
  t.match(row(v6, 'Send 500 alarm calls'), /-i ::1 -p \d+ \[::1\]:5060$/);
});
