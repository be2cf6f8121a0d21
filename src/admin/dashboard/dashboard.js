// trunkwise NOC dashboard: polls the admin API once a second and renders carriers, their health
// (state, score and what makes it up) and the latest state changes. No build step, no dependencies.
'use strict';
const POLL_MS = 1000;
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const pct = (x) => `${(x * 100).toFixed(1)} %`;

function effectiveState(c) {
  if (!c.enabled || c.manual === 'disabled') return 'disabled';
  if (c.manual === 'drained') return 'drained';
  return c.health ? c.health.state : 'unknown';
}

function signalRow(s) {
  const v = s.unit === 'ratio' ? pct(s.value) : `${Math.round(s.value)} ms`;
  return `<tr><td>${esc(s.name)}</td><td class="num">${v}</td><td class="num" title="factor on the score">×${s.factor.toFixed(2)}</td></tr>`;
}

function carrierCard(c) {
  const st = effectiveState(c);
  const h = c.health || { score: 1, rampFactor: 1, signals: [] };
  const counters = c.counters || { attempts: 0, answered: 0, failed: 0 };
  const ramp = h.rampFactor < 1 ? ` · ramping ${pct(h.rampFactor)}` : '';
  return `<article class="carrier s-${st}" data-testid="carrier-${esc(c.id)}" data-state="${st}">
    <h3><span>${esc(c.id)}</span><span class="state" data-testid="state-${esc(c.id)}">${st}</span></h3>
    <div title="health score">score <b data-testid="score-${esc(c.id)}">${h.score.toFixed(2)}</b> · weight ${c.weight}${ramp}</div>
    <div class="bar"><div style="width:${Math.round(h.score * 100)}%"></div></div>
    <div>${c.activeCalls} calls up · ${counters.attempts} attempts · ${counters.answered} answered · ${counters.failed} failed</div>
    <table>${h.signals.map(signalRow).join('')}</table>
  </article>`;
}

function eventRow(e) {
  const at = new Date(e.at).toLocaleTimeString();
  if (e.kind === 'state') return `<tr><td>${at}</td><td>${esc(e.carrier)}</td><td>${esc(e.from)} → ${esc(e.to)}</td><td>${esc(e.reason)}</td></tr>`;
  return `<tr><td>${at}</td><td>—</td><td>${esc(e.kind)}</td><td>${esc(e.reason)}</td></tr>`;
}

async function poll() {
  try {
    const [carriers, events, health] = await Promise.all(['/carriers', '/events', '/health'].map((p) => fetch(p).then((r) => r.json())));
    $('#carriers').innerHTML = carriers.carriers.map(carrierCard).join('');
    $('#events tbody').innerHTML = events.events.slice(-30).reverse().map(eventRow).join('');
    $('#local-fault').hidden = !carriers.localFault;
    const up = carriers.carriers.filter((c) => effectiveState(c) === 'active').length;
    $('#summary').textContent = `${up} of ${carriers.carriers.length} carriers active · ${health.activeCalls} calls up · ${health.cps ?? 0} calls/s`;
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    $('#stale').hidden = true;
  } catch {
    $('#stale').hidden = false;
  }
}

poll();
setInterval(poll, POLL_MS);
