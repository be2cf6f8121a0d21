/**
 * The NOC dashboard in a real browser (Debian's Chromium, driven by puppeteer-core): trunkwise with
 * the simulator's carriers; the page must show every carrier's state and react within seconds to a
 * carrier dying, an operator drain, and trunkwise itself going away.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startHealthSystem } from '../helpers/health-system';

const CHROMIUM = '/usr/bin/chromium';

async function textOf(page: Page, testId: string): Promise<string> {
  return page.$eval(`[data-testid="${testId}"]`, (el) => el.textContent ?? '');
}

async function waitText(page: Page, testId: string, pred: (s: string) => boolean, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await textOf(page, testId).catch(() => '');
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

t.test('dashboard shows carrier health live', { skip: existsSync(CHROMIUM) ? false : 'chromium is not installed (scripts/setup.sh ui)' }, async (t) => {
  const hs = await startHealthSystem();
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${hs.tw.httpPort}/`, { waitUntil: 'domcontentloaded' });
    t.match(await page.title(), /trunkwise/);

    await page.waitForSelector('[data-testid="carrier-carrier-e"]', { timeout: 10_000 });
    const states = await page.$$eval('[data-testid^="state-"]', (els) => els.map((e) => e.textContent));
    t.same(states, ['active', 'active', 'active', 'active', 'active'], 'five carriers, all active');
    t.match(await waitText(page, 'summary', (s) => s.startsWith('5 of 5'), 5000), /^5 of 5 carriers active/);

    hs.sim.set('carrier-c', { mode: 'silent', optionsCode: 0 });
    const down = await waitText(page, 'state-carrier-c', (s) => s === 'down', 15_000);
    t.equal(down, 'down', 'a silent carrier shows down');
    const rows = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    t.ok(rows.some((r) => r.includes('carrier-c') && r.includes('active → down')), 'the state change is listed with its reason');

    const drained = await hs.tw.admin('POST', '/carriers/carrier-d/drain', 'test-token');
    t.equal(drained.status, 200);
    t.equal(await waitText(page, 'state-carrier-d', (s) => s === 'drained', 5000), 'drained', 'an operator drain shows');
    t.match(await waitText(page, 'summary', (s) => s.startsWith('3 of 5'), 5000), /^3 of 5 carriers active/);
    t.same(errors, [], 'no script errors on the page');

    await hs.tw.stop();
    const staleShown = await page.waitForFunction('!document.querySelector("#stale").hidden', { timeout: 10_000 }).then(() => true, () => false);
    t.ok(staleShown, 'when trunkwise stops answering, the page says its figures are stale');
  } finally {
    await browser?.close();
    await hs.stop();
  }
});
