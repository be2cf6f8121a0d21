/**
 * The NOC dashboard in a real browser (Debian's Chromium, driven by puppeteer-core): trunkwise with
 * the simulator's carriers under SIPp load. The page must show every carrier with every signal, its
 * history (the score of a silenced carrier dropping, with the state band turning red), "down since"
 * and why, calls failed back to the IVR vs attempts retried elsewhere, UTC times with local beside,
 * a per-carrier event filter, and a drain button that asks for the admin token and drains.
 * Screenshots of the healthy and the incident state are taken (TRUNKWISE_SCREENSHOTS=docs writes
 * them to docs/ for the README; otherwise to a temporary folder that is removed).
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startHealthSystem } from '../helpers/health-system';
import { runSipp } from '../helpers/sipp';
import { startIvr } from '../../src/sim/ivr';
import { waitFor } from '../helpers/wait';

const CHROMIUM = '/usr/bin/chromium';
const SCENARIOS = path.join(__dirname, '..', 'scenarios');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Writing the README's screenshots: minutes of history before and after the incident. */
const DOCS = process.env.TRUNKWISE_SCREENSHOTS === 'docs';

async function textOf(page: Page, testId: string): Promise<string> {
  return page.$eval(`[data-testid="${testId}"]`, (el) => el.textContent ?? '');
}

async function attr(page: Page, testId: string, name: string): Promise<string> {
  return page.$eval(`[data-testid="${testId}"]`, (el, n) => el.getAttribute(n) ?? '', name);
}

async function click(page: Page, testId: string): Promise<void> {
  await page.evaluate(`document.querySelector('[data-testid="${testId}"]').click()`);
}

async function barColour(page: Page, id: string): Promise<string> {
  return page.evaluate(`getComputedStyle(document.querySelector('[data-testid="bar-${id}"]')).backgroundColor`) as Promise<string>;
}

function shotsDir(t: Test): string {
  if (DOCS) return path.join(__dirname, '..', '..', 'docs');
  const d = mkdtempSync(path.join(os.tmpdir(), 'tw-dashboard-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('dashboard: history, incident, controls', { skip: existsSync(CHROMIUM) ? false : 'chromium is not installed (scripts/setup.sh ui)' }, async (t) => {
  const hs = await startHealthSystem(undefined, { behaviour: { rtp: 'echo' } });
  // trunkwise-process.ts leaves its work folder; this test removes it.
  t.teardown(() => rmSync(path.dirname(hs.tw.carriersFile), { recursive: true, force: true }));
  let browser: Browser | undefined;
  const shots = shotsDir(t);
  try {
    // Steady traffic the whole time, so calls/s, ASR and setup time have something to show; it is
    // stopped (no new calls, the ones up finish) once the page has been checked.
    const loadDone = new AbortController();
    const load = runSipp({ scenario: path.join(SCENARIOS, 'uac-basic-call.xml'), remote: `127.0.0.1:${hs.tw.sipPort}`, rate: 10, calls: DOCS ? 2600 : 550, duration: 2000, service: '15550001', timeoutMs: DOCS ? 300_000 : 80_000, signal: loadDone.signal });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`http://127.0.0.1:${hs.tw.httpPort}/`, { waitUntil: 'domcontentloaded' });
    t.match(await page.title(), /trunkwise/);

    await page.waitForSelector('[data-testid="carrier-carrier-e"]', { timeout: 10_000 });
    const states = async (): Promise<string[]> => page.$$eval('[data-testid^="state-"]', (els) => els.map((e) => e.textContent ?? ''));
    await waitFor(async () => (await states()).every((s) => s === 'active'), 30_000);
    t.same(await states(), ['active', 'active', 'active', 'active', 'active'], 'five carriers, all active');
    const signalCounts = await page.$$eval('article.carrier', (cards) => cards.map((c) => c.querySelectorAll('[data-testid^="signal-"]').length));
    t.same(signalCounts, [7, 7, 7, 7, 7], 'every card lists all seven signals');
    t.match(await page.$eval('[data-testid="carrier-carrier-a"]', (el) => el.textContent ?? ''), /mediaLoss\s*not measured yet/, 'a signal without samples says "not measured yet"');
    t.match(await page.$eval('#updated', (el) => el.textContent ?? ''), /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d\d:\d\d:\d\d local\)/, 'UTC ISO time with the local time beside');

    // From now on, a few calls with RTP through the relay (carriers echo it; carrier-b loses 1 %).
    hs.sim.set('carrier-b', { rtpDropPercent: 1 });
    const ivr = await startIvr({ target: `127.0.0.1:${hs.tw.sipPort}`, localAddress: '127.0.0.1', seed: 8 });
    let rtpRunning = true;
    const rtpCalls = Promise.all(Array.from({ length: 4 }, async () => {
      while (rtpRunning) await ivr.call({ to: '+4930777', holdMs: 8000 }).catch(() => undefined);
    }));
    t.teardown(async () => {
      rtpRunning = false;
      await ivr.stop();
    });
    // History fills at 5 s steps: wait for a few points with traffic on them.
    t.ok(await waitFor(async () => (await attr(page, 'chart-cps-carrier-a', 'data-values')).split(',').filter((v) => Number(v) > 0).length >= 2, 25_000), 'calls/s history drawn');
    t.ok((await attr(page, 'chart-asr-carrier-a', 'data-values')).split(',').some((v) => Number(v) > 0.9), 'ASR history drawn');
    t.ok((await attr(page, 'chart-setup-carrier-a', 'data-values')).split(',').some((v) => Number(v) > 0), 'setup p95 history drawn (a time above 0 ms)');
    t.ok((await attr(page, 'chart-rtt-carrier-a', 'data-values')).length > 0, 'probe RTT history drawn');
    t.ok(await waitFor(async () => {
      for (const id of ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e']) if ((await attr(page, `chart-rtp-${id}`, 'data-values')).length > 0) return true;
      return false;
    }, 20_000), 'RTP loss history drawn for a carrier with calls carrying RTP');
    // For the README's pictures, a few minutes of history first.
    if (DOCS) await sleep(150_000);
    await page.screenshot({ path: path.join(shots, 'dashboard-healthy.png'), fullPage: true });

    // The incident: carrier-c rejects calls with 503 for a few seconds (attempts retried on other
    // carriers), then stops answering anything.
    hs.sim.set('carrier-c', { mode: 'reject', rejectCode: 503 });
    const rejectedBy = Date.now() + 15_000;
    const failedOnC = async (): Promise<number> => {
      const s = (await hs.tw.admin('GET', '/carriers?view=summary')).body as { carriers: { id: string; failedAttempts: number }[] };
      return s.carriers.find((c) => c.id === 'carrier-c')?.failedAttempts ?? 0;
    };
    while ((await failedOnC()) < 3 && Date.now() < rejectedBy) await sleep(250);
    const silencedAt = Date.now();
    hs.sim.set('carrier-c', { mode: 'silent', optionsCode: 0 });
    t.ok(await waitFor(async () => (await textOf(page, 'state-carrier-c')) === 'down', 15_000), 'a silent carrier shows down');
    t.comment(`down on the page ${Date.now() - silencedAt} ms after the silence`);
    t.match(await textOf(page, 'since-carrier-c'), /DOWN since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d\d:\d\d:\d\d local\)/, '"down since" with UTC and local time');
    t.match(await textOf(page, 'reason-carrier-c'), /\S/, 'and why');
    t.equal(await barColour(page, 'carrier-c'), 'rgb(207, 34, 46)', 'the score bar of a down carrier is red');
    const colours: Record<string, string> = { active: 'rgb(26, 127, 55)', degraded: 'rgb(191, 135, 0)', down: 'rgb(207, 34, 46)', probing: 'rgb(130, 80, 223)', drained: 'rgb(87, 96, 106)' };
    for (const id of ['carrier-a', 'carrier-b', 'carrier-d', 'carrier-e']) {
      const st = await textOf(page, `state-${id}`);
      t.equal(await barColour(page, id), colours[st], `${id}'s bar has its state's colour (${st})`);
    }
    t.ok(await waitFor(async () => (await attr(page, 'chart-score-carrier-c', 'data-states')).includes('down')
      && Math.min(...(await attr(page, 'chart-score-carrier-c', 'data-values')).split(',').map(Number)) < 0.5, 20_000), 'the score history shows the drop, with the state band gone down');
    t.comment(`score history of carrier-c: ${await attr(page, 'chart-score-carrier-c', 'data-values')}`);
    t.ok(await waitFor(async () => /[1-9]\d* retried on another carrier/.test(await textOf(page, 'failed-carrier-c')), 10_000), `attempts that failed on carrier-c were retried elsewhere: ${await textOf(page, 'failed-carrier-c')}`);
    // The header's "calls failed back to the IVR" is the API's count (the window's calls that no carrier completed).
    const ivrFailed = async (): Promise<number> => ((await hs.tw.admin('GET', '/carriers?view=summary')).body as { callsFailedToIvr: { failed: number } }).callsFailedToIvr.failed;
    t.ok(await waitFor(async () => (await textOf(page, 'failed-to-ivr')).startsWith(`${await ivrFailed()} call`), 10_000), `calls failed back to the IVR shown as the API counts them: ${await textOf(page, 'failed-to-ivr')}`);

    // Per-carrier event filter.
    await page.select('[data-testid="event-filter"]', 'carrier-c');
    t.ok(await waitFor(async () => {
      const carriers = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-carrier') ?? ''));
      return carriers.length > 0 && carriers.every((c) => c === 'carrier-c' || c === '');
    }, 5000), 'the event list filters to carrier-c');
    const rows = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    t.ok(rows.some((r) => r.includes('→ down') && /Z \(\d\d:\d\d:\d\d local\)/.test(r)), 'its change to down is listed with UTC/local time');
    await page.select('[data-testid="event-filter"]', '');
    if (DOCS) await sleep(40_000);
    await page.screenshot({ path: path.join(shots, 'dashboard-incident.png'), fullPage: true });

    // The same incident through the API the page is built on: GET /carriers/:id/history (5 s steps,
    // the score's drop and the state band) and /events (ISO time, no score contradicting the change).
    const hist = await hs.tw.admin('GET', '/carriers/carrier-c/history?minutes=5');
    t.equal(hist.status, 200, 'GET /carriers/carrier-c/history');
    const h = (typeof hist.body === 'string' ? JSON.parse(hist.body) : hist.body) as { id: string; stepMs: number; minutes: number; points: { at: string; state: string; score: number }[] };
    t.same([h.id, h.stepMs, h.minutes], ['carrier-c', 5000, 5], 'its own series, 5 s steps, the window asked for');
    t.ok(h.points.length >= 3 && h.points.every((p) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(p.at)), `${h.points.length} points with ISO times`);
    const steps = h.points.slice(1).map((p, i) => Date.parse(p.at) - Date.parse(h.points[i]!.at));
    t.ok(steps.every((d) => d >= 4000 && d <= 7000), `one point per ~5 s (${steps.join(', ')} ms)`);
    t.ok(h.points.some((p) => p.state === 'active' && p.score > 0.9) && h.points.some((p) => p.state === 'down' && p.score < 0.5), 'the series holds the healthy score and the drop to down');
    t.equal((await hs.tw.admin('GET', '/carriers/carrier-z/history')).status, 404, 'an unknown carrier: 404');
    t.equal((await hs.tw.admin('GET', '/carriers/carrier-c/history?minutes=61')).status, 400, 'more than the hour kept: 400');
    const evs = ((await hs.tw.admin('GET', '/events?carrier=carrier-c')).body as { events: { at: string; atMs: number; carrier?: string; to?: string; score?: number | null; scoreAtChange?: number; reason?: string }[] }).events;
    const downEv = evs.filter((e) => e.to === 'down').at(-1);
    t.ok(downEv, `/events?carrier=carrier-c lists the change to down (${downEv?.reason})`);
    t.ok(evs.every((e) => e.carrier === 'carrier-c' || e.carrier === undefined), 'and only carrier-c\'s events');
    t.equal(downEv?.at, new Date(downEv?.atMs ?? 0).toISOString(), 'ISO time (UTC) beside the epoch ms');
    t.ok(downEv?.score === null || (typeof downEv?.score === 'number' && downEv.score < 0.7), `its score is the one that caused it, or null when something else did (score ${downEv?.score}, at the change ${downEv?.scoreAtChange})`);

    // The operator drains carrier-d from the page: the button asks for the token; a wrong one is refused.
    await click(page, 'drain-carrier-d'); // the cards re-render every second: click in one step
    await page.waitForSelector('[data-testid="token-dialog"][open]', { timeout: 5000 });
    await page.type('[data-testid="token-input"]', 'not-the-token');
    await page.click('[data-testid="token-ok"]');
    t.ok(await waitFor(async () => /refused/.test(await page.$eval('#flash', (el) => el.textContent ?? '')), 5000), `a wrong token is refused: ${await page.$eval('#flash', (el) => el.textContent ?? '')}`);
    t.equal((await hs.carrier('carrier-d') as unknown as { manual: string }).manual, 'in-service', 'and carrier-d is not drained');
    await click(page, 'drain-carrier-d');
    await page.waitForSelector('[data-testid="token-dialog"][open]', { timeout: 5000 });
    await page.type('[data-testid="token-input"]', 'test-token');
    await page.click('[data-testid="token-ok"]');
    t.ok(await waitFor(async () => (await textOf(page, 'state-carrier-d')) === 'drained', 5000), 'the drain button drains the carrier');
    t.equal((await hs.carrier('carrier-d') as unknown as { manual: string }).manual, 'drained', 'trunkwise agrees');
    t.ok(await waitFor(async () => (await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''))).some((r) => r.includes('operator: drain')), 5000), 'the operator action is in the events');
    await click(page, 'undrain-carrier-d');
    t.ok(await waitFor(async () => (await textOf(page, 'state-carrier-d')) === 'active', 5000), 'undrain with the remembered token');
    // Disable asks for confirmation (accepted by the dialog handler above), then takes the carrier out.
    await click(page, 'disable-carrier-d');
    t.ok(await waitFor(async () => (await textOf(page, 'state-carrier-d')) === 'disabled', 5000), 'the disable button disables the carrier');
    t.equal((await hs.carrier('carrier-d') as unknown as { manual: string }).manual, 'disabled', 'trunkwise agrees');
    await click(page, 'enable-carrier-d');
    t.ok(await waitFor(async () => (await textOf(page, 'state-carrier-d')) === 'active', 5000), 'and enable brings it back');
    t.same(errors, [], 'no script errors on the page');

    for (const f of ['dashboard-healthy.png', 'dashboard-incident.png']) t.ok(statSync(path.join(shots, f)).size > 20_000, `${f} written`);
    // Let the RTP calls end with their BYE (stopping the IVR would leave them up in trunkwise).
    rtpRunning = false;
    loadDone.abort();
    await rtpCalls;
    await ivr.stop();
    const r = await load;
    t.comment(`SIPp: ${r.successful} successful, ${r.failed} failed`);

    await hs.tw.stop();
    const staleShown = await page.waitForFunction('!document.querySelector("#stale").hidden', { timeout: 10_000 }).then(() => true, () => false);
    t.ok(staleShown, 'when trunkwise stops answering, the page says its figures are stale');
  } finally {
    await browser?.close();
    await hs.stop();
  }
});
