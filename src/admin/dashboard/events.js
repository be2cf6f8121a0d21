// trunkwise dashboard: the event list (state changes, local-fault alarms, operator actions), newest
// first, filterable per carrier. The score column is the score that caused the change; a change
// caused by something else (INVITEs with no response, probe rounds) shows "—" there.
'use strict';
window.TW = window.TW || {};

const EVENT_ROWS = 50;

function change(e) {
  if (e.kind === 'state') return `${TW.esc(e.from)} → ${TW.esc(e.to)}`;
  if (e.kind === 'operator') return `operator: ${TW.esc(e.action)} → ${TW.esc(e.to)}`;
  if (e.kind === 'local-fault-raised') return '<b class="bad">LOCAL FAULT raised</b>';
  if (e.kind === 'local-fault-cleared') return 'local fault cleared';
  return TW.esc(e.kind);
}

function scoreCell(e) {
  if (e.kind !== 'state') return '<td class="num muted"></td>';
  const at = e.scoreAtChange === undefined ? '' : ` title="score at the change: ${e.scoreAtChange}"`;
  return e.score === null || e.score === undefined ? `<td class="num muted"${at}>—</td>` : `<td class="num"${at}>${Number(e.score).toFixed(2)}</td>`;
}

function row(e) {
  const carrier = e.carrier ? TW.esc(e.carrier) : (e.carriers || []).map(TW.esc).join(', ') || '—';
  return `<tr class="ev-${TW.esc(e.kind)}" data-carrier="${TW.esc(e.carrier || '')}"><td>${TW.when(Date.parse(e.at))}</td><td>${carrier}</td><td>${change(e)}</td>${scoreCell(e)}<td>${TW.esc(e.reason || '')}</td></tr>`;
}

/** Keep the filter's options in step with the carriers (selection kept). */
TW.syncEventFilter = (ids) => {
  const sel = document.querySelector('#event-filter');
  const have = [...sel.options].map((o) => o.value).slice(1).join(',');
  if (have === ids.join(',')) return;
  const cur = sel.value;
  sel.innerHTML = `<option value="">all carriers</option>${ids.map((id) => `<option value="${TW.esc(id)}">${TW.esc(id)}</option>`).join('')}`;
  sel.value = ids.includes(cur) ? cur : '';
};

/** The path to poll for the current filter (the API filters; local-fault events stay in). */
TW.eventsPath = () => {
  const v = document.querySelector('#event-filter').value;
  return v ? `/events?carrier=${encodeURIComponent(v)}` : '/events';
};

TW.renderEvents = (events) => {
  const list = events.slice(-EVENT_ROWS).reverse();
  document.querySelector('#events tbody').innerHTML = list.length ? list.map(row).join('') : '<tr><td colspan="5" class="muted">no events yet</td></tr>';
};
