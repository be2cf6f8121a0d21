// trunkwise NOC dashboard: polls the admin API (carriers and events every second, the 5-minute
// summary every 2 s, the history every 5 s — its resolution) and renders the header, the alarms,
// one card per carrier with its history, the site's upstream answer, the drills, and the events. No build step, no dependencies.
'use strict';
window.TW = window.TW || {};

const POLL_MS = 1000;
const SUMMARY_EVERY = 2;
const HISTORY_EVERY = 5;
const $ = (sel) => document.querySelector(sel);

const view = { tick: 0, summary: null, history: null, carriers: null, health: null, events: null };

function windowMs() {
  return Number($('#window').value) * 60_000;
}

function header() {
  const cs = view.carriers.carriers;
  const active = cs.filter((c) => c.state === 'active').length;
  const inService = cs.filter((c) => c.state === 'active' || c.state === 'degraded').length;
  const h = view.health || {};
  $('#summary').textContent = `${active} of ${cs.length} carriers active${inService !== active ? ` (${inService} in service)` : ''} · ${h.activeCalls ?? 0} calls up · ${h.cps ?? 0} calls/s${h.draining ? ' · DRAINING' : ''}`;
  const s = view.summary;
  if (s) {
    const mins = s.callsFailedToIvr.windowS >= 290 ? '5 min' : `${s.callsFailedToIvr.windowS} s`;
    const retried = s.carriers.reduce((n, c) => n + c.retriedElsewhere, 0);
    const failedAttempts = s.carriers.reduce((n, c) => n + c.failedAttempts, 0);
    const f = s.callsFailedToIvr.failed;
    $('#ivr').innerHTML = `last ${mins}: <b class="${f > 0 ? 'bad' : 'good'}" data-testid="failed-to-ivr">${f} call${f === 1 ? '' : 's'} failed back to the IVR</b> · ${s.callsFailedToIvr.answered} answered · ${failedAttempts} failed attempts, <span data-testid="retried">${retried} retried on another carrier</span>`;
  }
  $('#updated').innerHTML = `updated ${TW.when(Date.now())}`;
}

function cards() {
  const win = windowMs();
  const byId = new Map((view.summary ? view.summary.carriers : []).map((c) => [c.id, c]));
  const hist = view.history ? view.history.carriers : {};
  const step = view.history ? view.history.stepMs : 5000;
  $('#carriers').innerHTML = view.carriers.carriers.map((c) => TW.carrierCard(c, byId.get(c.id), hist[c.id] || [], win, step)).join('');
}

let busy = false;

async function poll() {
  if (busy) return;
  busy = true;
  const t = view.tick++;
  try {
    const wants = [TW.getJson('/carriers'), TW.getJson(TW.eventsPath()), TW.getJson('/health')];
    if (t % SUMMARY_EVERY === 0 || !view.summary) wants.push(TW.getJson('/carriers?view=summary').then((s) => (view.summary = s)));
    if (t % HISTORY_EVERY === 0 || !view.history) wants.push(TW.getJson(`/history?minutes=${$('#window').value}`).then((h) => (view.history = h)));
    if (t % SUMMARY_EVERY === 0) wants.push(TW.getOptional('/site').then(TW.renderSite), TW.getOptional('/drills').then(TW.renderDrills));
    const [carriers, events, health] = await Promise.all(wants);
    Object.assign(view, { carriers, events, health });
    TW.syncEventFilter(carriers.carriers.map((c) => c.id));
    header();
    cards();
    TW.renderEvents(events.events);
    $('#local-fault').hidden = !carriers.localFault;
    $('#stale').hidden = true;
  } catch {
    $('#stale').hidden = false;
  } finally {
    busy = false;
  }
}

/** Poll again now (after an operator action), and fetch the history afresh. */
TW.refresh = () => {
  view.tick = 0;
  return poll();
};

TW.installControls();
$('#window').addEventListener('change', () => TW.refresh());
$('#event-filter').addEventListener('change', () => TW.refresh());
poll();
setInterval(poll, POLL_MS);
