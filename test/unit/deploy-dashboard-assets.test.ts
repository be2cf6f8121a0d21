/**
 * How the dashboard's static files are found at run time (src/admin/dashboard-files.ts): every text
 * file in the folder beside the module, nested ones too; a missing folder is a named error served as
 * 503, not a crash at start (the build smoke test checks the build carries the folder).
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DASHBOARD_DIR, dashboardFile, loadDashboard } from '../../src/admin/dashboard-files';

t.test('the folder beside the module is served, with content types', async (t) => {
  t.equal(DASHBOARD_DIR, path.join(__dirname, '..', '..', 'src', 'admin', 'dashboard'), 'from the sources: src/admin/dashboard');
  const index = dashboardFile('/dashboard/');
  t.equal(index?.status, 200);
  t.match(index?.type, /^text\/html/);
  t.match(index?.body, /<html/i);
  t.match(dashboardFile('/dashboard/dashboard.js')?.type, /^text\/javascript/);
  t.equal(dashboardFile('/dashboard/nope.js'), undefined, 'unknown file → undefined (404)');
  t.equal(dashboardFile('/dashboard/../main.ts'), undefined, 'no path outside the folder');
  t.equal(dashboardFile('/metrics'), undefined, 'not a dashboard path');
});

t.test('nested files are found; other types are not served', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-dash-'));
  try {
    mkdirSync(path.join(dir, 'vendor'));
    writeFileSync(path.join(dir, 'index.html'), '<html></html>');
    writeFileSync(path.join(dir, 'vendor', 'chart.js'), 'x');
    writeFileSync(path.join(dir, 'notes.md'), '# no');
    const r = loadDashboard(dir);
    t.ok(r.ok);
    if (r.ok) t.same([...r.files.keys()].sort(), ['index.html', 'vendor/chart.js']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('a missing folder or index.html is TW_DASHBOARD_ASSETS_MISSING, naming the fix', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-dash-'));
  try {
    for (const d of [path.join(dir, 'absent'), dir]) {
      const r = loadDashboard(d);
      t.notOk(r.ok, d);
      if (!r.ok) t.match(r.problem, /^TW_DASHBOARD_ASSETS_MISSING: .*npm run build/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
