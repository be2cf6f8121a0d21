/**
 * The dashboard's site and drills views in a real browser (Debian's Chromium, puppeteer-core):
 * trunkwise over the simulator's five carriers with light SIPp traffic. The site view shows what the
 * IVR is told (200, then 503 "site draining" with who drained it and since when, then 200 again); the
 * drills view shows a drill while it runs and, once it ends, its status, verdict and report table —
 * exactly what GET /drills says.
 */
import t from 'tap';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startHealthSystem, routeYaml } from '../helpers/health-system';
import { runSipp, killAll } from '../helpers/sipp';
import type { DrillRecord } from '../../src/drills/registry';
import { waitFor } from '../helpers/wait';

const CHROMIUM = '/usr/bin/chromium';
const SCENARIOS = path.join(__dirname, '..', 'scenarios');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
t.teardown(killAll);

const attr = (page: Page, sel: string, name: string): Promise<string> => page.$eval(sel, (el, n) => el.getAttribute(n) ?? '', name);
const text = (page: Page, sel: string): Promise<string> => page.$eval(sel, (el) => el.textContent ?? '');

t.test('dashboard: the site view and the drills view', { skip: existsSync(CHROMIUM) ? false : 'chromium is not installed (scripts/setup.sh ui)' }, async (t) => {
  const hs = await startHealthSystem(undefined, { route: routeYaml('direct') });
  t.teardown(() => rmSync(path.dirname(hs.tw.carriersFile), { recursive: true, force: true }));
  const tw = hs.tw;
  let browser: Browser | undefined;
  try {
    for (const id of ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']) {
      t.ok(await hs.waitFor(id, (c) => c.health.state === 'active', 20_000), `${id} active`);
    }
    // Traffic for the drill's windows; stopped (no new calls, the ones up finish) once the drill has
    // ended and the page has been checked — nothing here looks at calls placed after that.
    const loadDone = new AbortController();
    const load = runSipp({ scenario: path.join(SCENARIOS, 'uac-basic-call.xml'), remote: `127.0.0.1:${tw.sipPort}`, service: '15550001', rate: 20, calls: 20 * 14, duration: 500, timeoutMs: 60_000, signal: loadDone.signal });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${tw.httpPort}/dashboard/`, { waitUntil: 'domcontentloaded' });

    // The site view: available.
    await page.waitForSelector('[data-testid="site-upstream"]', { timeout: 10_000 });
    t.equal(await attr(page, '[data-testid="site-upstream"]', 'data-status'), '200', 'the site answers the IVR 200');
    t.match(await text(page, '[data-testid="site-upstream"]'), /200 available/);
    t.match(await text(page, '[data-testid="drills-running"]'), /none running/, 'no drill yet');

    // A drill: shown while it runs, then with its result.
    const started = await fetch(`http://127.0.0.1:${tw.httpPort}/drills`, {
      method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'drain-carrier', carrier: 'carrier-a', windowS: 2 }),
    });
    t.equal(started.status, 202, 'drill started');
    const { id } = (await started.json()) as DrillRecord;
    const row = `[data-testid="drill-${id}"]`;
    t.ok(await waitFor(async () => (await attr(page, row, 'data-status')) === 'running', 5000), 'the running drill is listed');
    t.match(await text(page, '[data-testid="drills-running"]'), new RegExp(`drill ${id} running`));

    // The site drained by the operator: 503, by whom and since when.
    t.equal((await tw.admin('POST', '/site/drain', 'test-token')).status, 200);
    t.ok(await waitFor(async () => (await attr(page, '[data-testid="site-upstream"]', 'data-status')) === '503', 5000), 'the site view turns 503');
    t.equal(await attr(page, '[data-testid="site-upstream"]', 'data-cause'), 'draining');
    t.match(await text(page, '[data-testid="site-upstream"]'), /503 site draining.*Retry-After \d+ s/);
    t.match(await text(page, '[data-testid="site-drained"]'), /drained since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d\d:\d\d:\d\d local\) by admin API/);
    t.equal((await tw.admin('POST', '/site/undrain', 'test-token')).status, 200);
    t.ok(await waitFor(async () => (await attr(page, '[data-testid="site-upstream"]', 'data-status')) === '200', 5000), 'back to 200 after the undrain');

    let drill: DrillRecord | undefined;
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(250)) {
      drill = (await tw.admin('GET', `/drills/${id}`)).body as DrillRecord;
      if (drill.status !== 'running') break;
    }
    t.not(drill?.status, 'running', `the drill ended: ${drill?.status}`);
    t.ok(await waitFor(async () => (await attr(page, row, 'data-status')) === drill!.status, 5000), `the page shows it ${drill!.status} as the API does`);
    const shown = await text(page, row);
    t.ok(shown.includes(drill!.report?.verdict ?? drill!.error ?? '?'), `with the verdict: ${shown.slice(0, 300)}`);
    t.equal((await page.$$(`${row} table.drill-report tbody tr`)).length, 3, 'and its report: before, drained, restored');
    t.match(await text(page, '[data-testid="drills-running"]'), /none running/);
    t.same(errors, [], 'no script errors on the page');
    loadDone.abort();
    const r = await load;
    t.comment(`SIPp: ${r.successful} successful, ${r.failed} failed; drill ${drill!.status}: ${drill!.report?.verdict ?? drill!.error}`);
  } finally {
    await browser?.close();
    await hs.stop();
  }
});
