/**
 * `npm run drill`:
 *   -- drain CARRIER | drain-site | failover-site [--window S] [--test-calls N --to NUMBER] [--http HOST:PORT]
 *        a drill against a running edge (POST /drills with TRUNKWISE_ADMIN_TOKEN), waited for; its
 *        markdown report on stdout; exit 0 when it passed, 1 when it failed, 2 on bad arguments
 *   -- --lab [--short] [--baseline | --both] [--out DIR]
 *        the outage lab (lab/outage-lab.sh, network namespaces, root)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const USAGE = `usage: npm run drill -- drain CARRIER [--window S] [--test-calls N --to NUMBER] [--http HOST:PORT]
         npm run drill -- drain-site | failover-site [--window S] [--test-calls N --to NUMBER] [--http HOST:PORT]
         npm run drill -- --lab [--short] [--baseline | --both] [--out DIR]
  drain CARRIER      drain CARRIER on a running edge for one window, restore it, report (needs TRUNKWISE_ADMIN_TOKEN)
  drain-site         the IVR's OPTIONS get 503 for one window (its dispatcher moves to another site), restore, report
  failover-site      new calls go to the peer sites (carriers.yaml peers:) for one window, restore, report
  --window S         seconds per window: before, drained, restored (default 10)
  --test-calls N     the drill's own test calls per window (default none: the edge's live traffic only)
  --to NUMBER        the number the test calls dial (an echo or announcement number)
  --http HOST:PORT   the edge's admin address (default: TRUNKWISE_HTTP, else 127.0.0.1:8080)
  --lab              the outage lab (root; see docs/outage-lab.md)`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Scenario = 'drain-carrier' | 'drain-site' | 'failover-site';
interface Parsed { scenario: Scenario; carrier?: string; windowS: number; testCalls?: { to: string; perWindow: number }; http: string }

function parse(argv: readonly string[]): Parsed | string {
  const [cmd, ...args] = argv;
  const scenario: Scenario | undefined = cmd === 'drain' ? 'drain-carrier' : cmd === 'drain-site' || cmd === 'failover-site' ? cmd : undefined;
  if (!scenario) return 'name a drill: drain CARRIER, drain-site or failover-site';
  const carrier = scenario === 'drain-carrier' ? args[0] : undefined;
  if (scenario === 'drain-carrier' && (!carrier || carrier.startsWith('-'))) return 'drain needs a carrier: drain CARRIER';
  const rest = scenario === 'drain-carrier' ? args.slice(1) : args;
  let windowS = 10;
  let perWindow: number | undefined;
  let to: string | undefined;
  let http = process.env.TRUNKWISE_HTTP ?? '127.0.0.1:8080';
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const v = rest[i + 1];
    if (v === undefined) return `${a} needs a value`;
    if (a === '--window') windowS = Number(v);
    else if (a === '--test-calls') perWindow = Number(v);
    else if (a === '--to') to = v;
    else if (a === '--http') http = v;
    else return `unknown argument "${a}"`;
    i++;
  }
  if (!(windowS >= 2 && windowS <= 300)) return '--window: seconds, 2–300';
  if ((perWindow === undefined) !== (to === undefined)) return '--test-calls and --to go together';
  if (perWindow !== undefined && !(Number.isInteger(perWindow) && perWindow >= 1 && perWindow <= 100)) return '--test-calls: 1–100';
  return { scenario, ...(carrier !== undefined && { carrier }), windowS, http: /^https?:\/\//.test(http) ? http : `http://${http}`, ...(perWindow !== undefined && to !== undefined && { testCalls: { to, perWindow } }) };
}

async function drain(p: Parsed): Promise<number> {
  const token = process.env.TRUNKWISE_ADMIN_TOKEN;
  if (!token) {
    process.stderr.write('TRUNKWISE_ADMIN_TOKEN is not set: a drill changes the edge\'s state and needs the admin token\n');
    return 2;
  }
  const r = await fetch(`${p.http}/drills`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: p.scenario, ...(p.carrier !== undefined && { carrier: p.carrier }), windowS: p.windowS, ...(p.testCalls && { testCalls: p.testCalls }) }),
  });
  const started = (await r.json()) as { id?: number; error?: string };
  if (r.status !== 202 || started.id === undefined) {
    process.stderr.write(`the edge refused the drill (HTTP ${r.status}): ${started.error ?? ''}\n`);
    return 1;
  }
  process.stderr.write(`drill ${started.id} started: ${p.carrier !== undefined ? `drain ${p.carrier}` : p.scenario}, three windows of ${p.windowS} s\n`);
  for (;;) {
    await sleep(1000);
    const d = (await (await fetch(`${p.http}/drills/${started.id}`)).json()) as { status: string; error?: string };
    if (d.status === 'running') continue;
    process.stdout.write(await (await fetch(`${p.http}/drills/${started.id}?format=md`)).text());
    if (d.error) process.stderr.write(`drill ${d.status}: ${d.error}\n`);
    return d.status === 'passed' ? 0 : 1;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.includes('--lab')) {
    const r = spawnSync('bash', [path.join(__dirname, '..', '..', 'lab', 'outage-lab.sh'), ...argv.filter((a) => a !== '--lab')], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  const p = parse(argv);
  if (typeof p === 'string') {
    process.stderr.write(`${p}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await drain(p);
  } catch (err) {
    process.stderr.write(`trunkwise is not answering on ${p.http} (${(err as Error).message}); is it running? (npm start)\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
