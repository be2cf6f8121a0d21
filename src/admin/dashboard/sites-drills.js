// trunkwise dashboard: the site view (what this edge tells the IVR platform's dispatcher when it
// asks with OPTIONS — 200, or 503 and why — and the operator's site drain) and the drills view
// (the drill running now and the past ones, newest first, each with its report). Reads GET /site and
// GET /drills; both are optional extensions, so a 404 hides the section instead of alarming.
'use strict';
window.TW = window.TW || {};

const DRILL_ROWS = 10;

/** The upstream answer in operators' words. */
function upstreamText(u) {
  if (u.status === 200) return '<b class="good">200 available</b> — the IVR sends calls here';
  // Held (upstream.<case>.holdS): the cause has cleared, the 503 stays until it has been clear long enough.
  const held = u.heldForMs !== undefined ? ` · cleared, held for another ${Math.ceil(u.heldForMs / 1000)} s against flapping` : '';
  return `<b class="bad">503 ${TW.esc(u.text)}</b> — the IVR is told to go elsewhere (Retry-After ${TW.esc(u.retryAfterS)} s)${held}`;
}

TW.renderSite = (site) => {
  const el = document.querySelector('#site');
  if (!site) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const u = site.upstream;
  const drained = site.drained
    ? ` · <span data-testid="site-drained">drained since ${TW.when(Date.parse(site.drainedSince))} by ${TW.esc(site.drainedBy || '?')}</span>`
    : '';
  el.innerHTML = `<h2>Site</h2><div class="site s-${u.status === 200 ? 'active' : 'down'}" data-testid="site-upstream" data-status="${u.status}" data-cause="${TW.esc(u.cause || 'ok')}">`
    + `this edge (upstream health): ${upstreamText(u)}${drained}</div>`;
};

/** One window of a drain drill: attempts (share) per carrier. */
function windowCells(w, ids) {
  return ids.map((id) => `<td class="num">${w.attempts[id] ?? 0} <span class="muted">(${TW.pct(w.share[id] ?? 0, 0)})</span></td>`).join('');
}

function reportTable(r) {
  const ids = Object.keys(r.before.attempts).sort();
  const row = (name, w) => `<tr><td>${TW.esc(name)}</td>${windowCells(w, ids)}<td class="num">${w.callsFailed}</td></tr>`;
  return `<table class="drill-report"><thead><tr><th>window (${r.windowMs / 1000} s)</th>${ids.map((id) => `<th>${TW.esc(id)}</th>`).join('')}<th>calls failed</th></tr></thead><tbody>`
    + row('before', r.before) + row(`${r.carrier} drained`, r.during) + row('restored', r.after)
    + `</tbody></table><p class="muted">moved after ${TW.ms(r.movedAfterMs)} · took calls again ${TW.ms(r.restoredAfterMs)} after the restore${r.restoredEarly ? ' · <b class="bad">restored early: calls were failing</b>' : ''}</p>`;
}

function drillRow(d) {
  const status = d.status === 'passed' ? 'good' : d.status === 'running' ? '' : 'bad';
  const what = d.report ? TW.esc(d.report.verdict) : d.error ? TW.esc(d.error) : '<span class="muted">under way…</span>';
  const report = d.report ? `<details><summary>report</summary>${reportTable(d.report)}<a href="/drills/${d.id}?format=md">markdown</a> · <a href="/drills/${d.id}">JSON</a></details>` : '';
  return `<tr data-testid="drill-${d.id}" data-status="${TW.esc(d.status)}"><td>${d.id}</td><td>${TW.esc(d.scenario)} ${TW.esc(d.carrier)}</td>`
    + `<td>${TW.when(Date.parse(d.startedAt))}</td><td><b class="${status}">${TW.esc(d.status.toUpperCase())}</b></td><td>${what}${report}</td></tr>`;
}

TW.renderDrills = (drills) => {
  const el = document.querySelector('#drills');
  if (!drills) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const open = new Set([...el.querySelectorAll('tr[data-testid] details[open]')].map((d) => d.closest('tr').dataset.testid));
  const list = drills.drills.slice(-DRILL_ROWS).reverse();
  const running = drills.running === null ? 'none running' : `drill ${drills.running} running`;
  el.innerHTML = `<h2>Drills <span class="muted" data-testid="drills-running">${running}</span></h2>`
    + '<table id="drill-list"><thead><tr><th>#</th><th>scenario</th><th>started (UTC, local)</th><th>status</th><th>result</th></tr></thead><tbody>'
    + (list.length ? list.map(drillRow).join('') : '<tr><td colspan="5" class="muted">no drills yet — POST /drills (see docs/outage-lab.md)</td></tr>')
    + '</tbody></table>';
  // Keep the reports the operator opened open across polls.
  for (const id of open) el.querySelector(`tr[data-testid="${id}"] details`)?.setAttribute('open', '');
};

/** GET a JSON document that may not exist on this edge (404 → undefined). */
TW.getOptional = async (path) => {
  const r = await fetch(path, { cache: 'no-store' });
  if (r.status === 404) return undefined;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
};
