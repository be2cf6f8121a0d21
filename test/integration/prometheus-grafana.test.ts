/**
 * The Grafana dashboard and the alert rules against a real Prometheus (Debian's, started here on
 * loopback with a temporary config and data folder) that scrapes a running trunkwise under load:
 * SIPp alarm calls, IVR calls with RTP through the relay, a carrier rejecting with 503 (crankbacks,
 * flapping) and then silent (down → an alert fires), a carrier answering 486 (calls failed back to the IVR),
 * and a burst over the CPS limit (admission refusals). Every panel query of
 * docker/grafana/dashboards/trunkwise.json must return data; every rule must load and evaluate.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startSimulator } from '../../src/sim';
import { startIvr } from '../../src/sim/ivr';
import { startTrunkwise } from '../helpers/trunkwise-process';
import { freePorts, runSipp } from '../helpers/sipp';
import { ROUTE } from '../helpers/health-system';

const ROOT = path.join(__dirname, '..', '..');
const IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const skip = spawnSync('sh', ['-c', 'command -v prometheus']).status === 0 ? false : 'prometheus is not installed (scripts/setup.sh ui)';

interface PromResult { status: string; data?: { result?: unknown[]; groups?: { rules: { name: string; health: string; lastError?: string; type: string; state?: string }[] }[] }; error?: string }

async function prom(port: number, p: string): Promise<PromResult> {
  return (await (await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(5000) })).json()) as PromResult;
}

/** The dashboard's queries with Grafana's variables filled in as "All" would. */
function panelQueries(): { title: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(path.join(ROOT, 'docker/grafana/dashboards/trunkwise.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  return dash.panels.flatMap((p) => p.targets.map((x) => ({ title: p.title, expr: x.expr.replaceAll('$carrier', '.*').replaceAll('$__rate_interval', '1m') })));
}

t.test('every Grafana panel query returns data from a Prometheus scraping trunkwise under load; every rule evaluates', { skip }, async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'tw-prometheus-'));
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  const sim = await startSimulator({ carriers: IDS.map((id) => ({ id, host: '127.0.0.1', port: 0, transport: 'udp' as const, behaviour: { rtp: 'echo' as const } })), seed: 21 });
  t.teardown(() => sim.stop());
  sim.set('carrier-e', { mode: 'reject', rejectCode: 503 });
  sim.set('carrier-d', { mode: 'reject', rejectCode: 486 });
  const tw = await startTrunkwise({
    carriers: IDS.map((id, i) => ({ id, port: sim.get(id).port, weight: [30, 25, 20, 15, 10][i]!, probe: '{ enabled: true, intervalMs: 1000, timeoutMs: 800, burst: 3 }' })),
    routes: { '99-default.yaml': ROUTE }, args: ['--max-cps', '60'],
  });
  t.teardown(async () => {
    await tw.stop();
    rmSync(path.dirname(tw.carriersFile), { recursive: true, force: true }); // trunkwise-process.ts leaves it
  });

  const [promPort] = await freePorts(1);
  writeFileSync(path.join(work, 'prometheus.yml'), YAML.stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(ROOT, 'prometheus/alerts.yml')],
    scrape_configs: [{ job_name: 'trunkwise', static_configs: [{ targets: [`127.0.0.1:${tw.httpPort}`] }] }],
  }));
  const p = spawn('prometheus', [`--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(p);
  let promErr = '';
  p.stderr!.on('data', (d: Buffer) => void (promErr = (promErr + d.toString()).slice(-4000)));
  const readyBy = Date.now() + 20_000;
  while (Date.now() < readyBy && !(await fetch(`http://127.0.0.1:${promPort}/-/ready`).then((r) => r.ok, () => false))) await sleep(250);
  t.ok(await fetch(`http://127.0.0.1:${promPort}/-/ready`).then((r) => r.ok, () => false), `Prometheus ready on 127.0.0.1:${promPort} ${promErr}`);

  // Load: SIPp alarm calls for ~45 s, IVR calls carrying RTP, and a burst over --max-cps 60.
  const scenario = path.join(ROOT, 'test/scenarios/uac-basic-call.xml');
  const sipp = runSipp({ scenario, remote: `127.0.0.1:${tw.sipPort}`, rate: 20, calls: 900, duration: 2000, service: '15550001', timeoutMs: 75_000 });
  const ivr = await startIvr({ target: `127.0.0.1:${tw.sipPort}`, localAddress: '127.0.0.1', seed: 5 });
  t.teardown(() => ivr.stop());
  const rtpCalls = Promise.all(Array.from({ length: 8 }, (_, i) => sleep(i * 500).then(() => ivr.call({ to: '+4930555', holdMs: 25_000 }))));
  await sleep(10_000);
  // carrier-e then dies outright (no answer to INVITEs or probes): it stays down.
  sim.set('carrier-e', { mode: 'silent', optionsCode: 0 });
  const burst = await runSipp({ scenario, remote: `127.0.0.1:${tw.sipPort}`, rate: 150, calls: 300, duration: 500, service: '15550002', timeoutMs: 30_000 });
  t.comment(`burst over the CPS limit: ${burst.successful} answered, ${burst.failed} refused or failed`);

  // Wait for the alert on carrier-e (down for 30 s) while the load runs.
  let firing: string[] = [];
  const alertBy = Date.now() + 50_000;
  while (Date.now() < alertBy) {
    const a = await prom(promPort!, '/api/v1/query?query=' + encodeURIComponent('ALERTS{alertstate="firing"}'));
    firing = (a.data?.result ?? []).map((r) => { const m = (r as { metric: Record<string, string> }).metric; return `${m.alertname} ${m.carrier ?? ''}`.trim(); });
    if (firing.some((f) => /^TrunkwiseCarrier(Down|Flapping) carrier-e$/.test(f))) break;
    await sleep(1000);
  }
  const ev = (await tw.admin('GET', '/events?carrier=carrier-e')).body as { events: { at: string; from?: string; to?: string; reason: string }[] };
  t.comment(`carrier-e: ${ev.events.map((e) => `${e.at.slice(11, 19)} ${e.from}→${e.to} (${e.reason})`).join('; ')}`);
  t.ok(firing.some((f) => /^TrunkwiseCarrier(Down|Flapping) carrier-e$/.test(f)), `an alert fired for carrier-e (firing: ${firing.join(', ') || 'none'})`);

  const queries = panelQueries();
  t.ok(queries.length >= 20, `${queries.length} panel queries`);
  for (const q of queries) {
    const r = await prom(promPort!, '/api/v1/query?query=' + encodeURIComponent(q.expr));
    t.equal(r.status, 'success', `${q.title}: valid PromQL ${r.error ?? ''}`);
    t.ok((r.data?.result ?? []).length > 0, `${q.title}: returns data — ${q.expr}`);
  }

  const dash = JSON.parse(readFileSync(path.join(ROOT, 'docker/grafana/dashboards/trunkwise.json'), 'utf8')) as { annotations: { list: { expr: string }[] } };
  for (const a of dash.annotations.list) {
    const r = await prom(promPort!, '/api/v1/query?query=' + encodeURIComponent(a.expr));
    t.equal(r.status, 'success', `annotation query is valid PromQL: ${a.expr} ${r.error ?? ''}`);
  }

  const rules = await prom(promPort!, '/api/v1/rules');
  const all = (rules.data?.groups ?? []).flatMap((g) => g.rules);
  t.ok(all.length >= 10, `${all.length} rules loaded`);
  for (const r of all) t.equal(r.health, 'ok', `rule ${r.name} evaluates${r.lastError ? `: ${r.lastError}` : ''}`);

  const [calls, rtp] = await Promise.all([sipp, rtpCalls]);
  t.comment(`SIPp: ${calls.successful} answered, ${calls.failed} failed (carrier-d answers 486: those fail back to the IVR by design)`);
  t.ok(rtp.every((r) => r.status === 200 || r.status === 486), 'IVR calls with RTP answered (or 486 from carrier-d)');
});
