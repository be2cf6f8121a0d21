/**
 * The monitoring files checked with the real tools (Debian's prometheus and prometheus-alertmanager,
 * scripts/setup.sh ui): prometheus/alerts.yml passes `promtool check rules` and its unit tests
 * (`promtool test rules`), prometheus/alertmanager.yml passes `amtool check-config`, the production
 * Prometheus config passes `promtool check config`, and the Grafana dashboard and its provisioning
 * agree on the data source.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const have = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const skip = have('promtool') && have('amtool') ? false : 'promtool / amtool not installed (scripts/setup.sh ui)';

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

t.test('promtool check rules prometheus/alerts.yml', { skip }, async (t) => {
  const r = run('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /SUCCESS: \d+ rules found/);
});

t.test('promtool test rules: every alert fires when it should and not before', { skip }, async (t) => {
  const r = run('promtool', ['test', 'rules', 'prometheus/alerts.test.yml']);
  t.equal(r.code, 0, r.out);
  const rules = YAML.parse(readFileSync(path.join(ROOT, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
  const alerts = rules.groups.flatMap((g) => g.rules).map((x) => x.alert).filter((x): x is string => !!x);
  const tests = readFileSync(path.join(ROOT, 'prometheus/alerts.test.yml'), 'utf8');
  for (const a of ['TrunkwiseCarrierDown', 'TrunkwiseCarrierDegraded', 'TrunkwiseLocalFault', 'TrunkwiseAllCarriersDegraded', 'TrunkwiseAnswerRatioDrop', 'TrunkwiseNoCalls', 'TrunkwiseMediaLoss']) {
    t.ok(alerts.includes(a), `${a} is defined`);
  }
  for (const a of alerts) t.match(tests, new RegExp(`alertname: ${a}\\b`), `${a} has a unit test`);
});

t.test('amtool check-config prometheus/alertmanager.yml', { skip }, async (t) => {
  const r = run('amtool', ['check-config', 'prometheus/alertmanager.yml']);
  t.equal(r.code, 0, r.out);
});

t.test('promtool check config: the production Prometheus config with the rules', { skip }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-promcfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = YAML.parse(readFileSync(path.join(ROOT, 'docker/prometheus.yml'), 'utf8')) as { rule_files?: string[] };
  t.same(cfg.rule_files, ['/etc/prometheus/alerts.yml'], 'loads the rules where docker-compose mounts them');
  const compose = readFileSync(path.join(ROOT, 'docker/docker-compose.yml'), 'utf8');
  t.match(compose, /\.\.\/prometheus\/alerts\.yml:\/etc\/prometheus\/alerts\.yml/, 'docker-compose mounts prometheus/alerts.yml there');
  writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify({ ...cfg, rule_files: [path.join(ROOT, 'prometheus/alerts.yml')] }));
  const r = run('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
  t.equal(r.code, 0, r.out);
});

t.test('Grafana: dashboard JSON and provisioning agree', async (t) => {
  const dash = JSON.parse(readFileSync(path.join(ROOT, 'docker/grafana/dashboards/trunkwise.json'), 'utf8')) as {
    uid: string; panels: { id: number; title: string; gridPos: { x: number; w: number }; datasource: { uid: string }; targets: { expr: string }[] }[];
  };
  const ds = YAML.parse(readFileSync(path.join(ROOT, 'docker/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string }[] };
  const prov = YAML.parse(readFileSync(path.join(ROOT, 'docker/grafana/provisioning/dashboards/trunkwise.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
  const uid = ds.datasources[0]!.uid;
  t.ok(dash.panels.length >= 15, `${dash.panels.length} panels`);
  t.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length, 'panel ids unique');
  for (const p of dash.panels) {
    t.equal(p.datasource.uid, uid, `${p.title}: the provisioned data source`);
    t.ok(p.targets.length > 0 && p.targets.every((x) => x.expr.length > 0), `${p.title}: has queries`);
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the grid`);
  }
  const compose = readFileSync(path.join(ROOT, 'docker/docker-compose.yml'), 'utf8');
  t.match(compose, new RegExp(`grafana/dashboards:${prov.providers[0]!.options.path.replace(/\//g, '\\/')}`), 'docker-compose mounts the dashboards where the provider reads them');
  t.match(compose, /grafana\/provisioning:\/etc\/grafana\/provisioning/, 'and the provisioning');
  t.ok(existsSync(path.join(ROOT, 'prometheus/alertmanager.yml')), 'alertmanager config present');
  t.match(compose, /alertmanager\.yml:\/etc\/alertmanager\/alertmanager\.yml/, 'docker-compose runs Alertmanager with it');
});
