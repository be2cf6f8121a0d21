// trunkwise dashboard: formatting shared by every part of the page. Times are shown in UTC (ISO,
// what logs and the API say) with the browser's local time beside them; no AM/PM, always the date.
'use strict';
window.TW = window.TW || {};

TW.esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

TW.pct = (x, digits = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`);

const pad = (n) => String(n).padStart(2, '0');

/** 2026-12-02 10:24:01Z */
TW.utc = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
};

/** 11:24:01 local (24 h; the date too when it differs from the UTC date shown beside it). */
TW.local = (ms) => {
  const d = new Date(ms);
  const sameDay = d.getDate() === d.getUTCDate() && d.getMonth() === d.getUTCMonth();
  const date = sameDay ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `;
  return `${date}${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} local`;
};

/** "2026-12-02 10:24:01Z (11:24:01 local)" with the ISO time as a tooltip. */
TW.when = (ms) => `<time datetime="${new Date(ms).toISOString()}" title="${new Date(ms).toISOString()}">${TW.utc(ms)} <span class="muted">(${TW.local(ms)})</span></time>`;

/** 3m12s, 2h05m, 4d3h */
TW.ago = (ms, now = Date.now()) => {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
};

TW.ms = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)} ms`);

TW.num = (x, digits = 1) => (x === null || x === undefined ? '—' : Number(x).toFixed(digits));

/** The states and their colours (also used by the score bar and the state band). */
TW.STATE_COLOURS = { active: '#1a7f37', degraded: '#bf8700', down: '#cf222e', probing: '#8250df', drained: '#57606a', disabled: '#57606a', unknown: '#8a93a6' };

TW.getJson = async (path) => {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
};
