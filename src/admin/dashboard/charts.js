// trunkwise dashboard: small time-series charts (inline SVG, no library) over the chosen window.
// Each chart says what it shows, its latest value, its scale, and "not measured yet" when it has
// no data — an empty chart must never look like "fine". Gaps (null) are drawn as gaps.
'use strict';
window.TW = window.TW || {};

const W = 300;
const H = 46;
const BAND = 6;

/** x position of time `t` in [from, to]. */
const xOf = (t, from, to) => ((t - from) / Math.max(1, to - from)) * W;

/** Polyline segments, split at nulls. */
function segments(points, key, from, to, yOf) {
  const out = [];
  let cur = [];
  for (const p of points) {
    const v = p[key];
    if (v === null || v === undefined) {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(`${xOf(p.t, from, to).toFixed(1)},${yOf(v).toFixed(1)}`);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The state of each step as a coloured strip (what the carrier was, when). */
function stateBand(points, from, to) {
  return points.map((p, i) => {
    const x0 = i === 0 ? xOf(p.t - (p.stepMs || 5000), from, to) : xOf(points[i - 1].t, from, to);
    const x1 = xOf(p.t, from, to);
    return `<rect x="${Math.max(0, x0).toFixed(1)}" y="${H - BAND}" width="${Math.max(0.5, x1 - Math.max(0, x0)).toFixed(1)}" height="${BAND}" fill="${TW.STATE_COLOURS[p.state] || '#8a93a6'}"><title>${TW.esc(p.state)} at ${TW.utc(p.t)}</title></rect>`;
  }).join('');
}

/**
 * One chart. opts: { id, carrier, key, label, fmt(v), max (fixed top) | minMax (smallest top),
 * colour, band (draw the state band), points (with t in ms), from, to }.
 */
TW.chart = (opts) => {
  const values = opts.points.map((p) => p[opts.key]).filter((v) => v !== null && v !== undefined);
  const last = opts.points.length ? opts.points[opts.points.length - 1][opts.key] : null;
  const top = opts.max !== undefined ? opts.max : Math.max(opts.minMax || 1, ...values) * 1.1;
  const plotH = H - (opts.band ? BAND + 2 : 0) - 2;
  const yOf = (v) => 1 + plotH - (Math.min(v, top) / top) * plotH;
  const lines = segments(opts.points, opts.key, opts.from, opts.to, yOf)
    .map((s) => (s.length === 1 ? `<circle cx="${s[0].split(',')[0]}" cy="${s[0].split(',')[1]}" r="1.5" fill="${opts.colour}"/>` : `<polyline fill="none" stroke="${opts.colour}" stroke-width="1.5" points="${s.join(' ')}"/>`))
    .join('');
  const empty = values.length === 0;
  const testid = `chart-${opts.id}-${opts.carrier}`;
  const data = `data-testid="${TW.esc(testid)}" data-values="${values.map((v) => Math.round(v * 1000) / 1000).join(',')}" data-states="${opts.band ? [...new Set(opts.points.map((p) => p.state))].join(',') : ''}"`;
  return `<figure class="chart" ${data}>
    <figcaption><span>${TW.esc(opts.label)}</span><b>${empty ? '<span class="muted">not measured yet</span>' : TW.esc(opts.fmt(last === null || last === undefined ? values[values.length - 1] : last))}</b></figcaption>
    <svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${TW.esc(opts.label)}">
      <rect x="0" y="0" width="${W}" height="${H}" class="plot"/>
      ${opts.band ? stateBand(opts.points, opts.from, opts.to) : ''}
      ${lines}
    </svg>
    <div class="scale muted"><span>${TW.esc(opts.fmt(top))}</span><span>${empty ? '' : `min ${TW.esc(opts.fmt(Math.min(...values)))} · max ${TW.esc(opts.fmt(Math.max(...values)))}`}</span></div>
  </figure>`;
};

/**
 * The six charts of a carrier card over the window [from, to] — or, while the history is younger
 * than the window (trunkwise just started), over the time there is history for.
 */
TW.carrierCharts = (id, points, from, to, stepMs) => {
  const pts = points.map((p) => ({ ...p, t: Date.parse(p.at), stepMs }));
  const start = pts.length ? Math.max(from, pts[0].t - (stepMs || 5000)) : from;
  const common = { carrier: id, points: pts, from: start, to };
  return [
    TW.chart({ ...common, id: 'score', key: 'score', label: 'score · state', fmt: (v) => v.toFixed(2), max: 1, colour: '#1d2330', band: true }),
    TW.chart({ ...common, id: 'cps', key: 'cps', label: 'new attempts/s', fmt: (v) => v.toFixed(1), minMax: 1, colour: '#0969da' }),
    TW.chart({ ...common, id: 'asr', key: 'asr', label: 'ASR (1 min)', fmt: (v) => TW.pct(v, 0), max: 1, colour: '#1a7f37' }),
    TW.chart({ ...common, id: 'setup', key: 'setupP95Ms', label: 'setup p95 (1 min)', fmt: (v) => `${Math.round(v)} ms`, minMax: 100, colour: '#8250df' }),
    TW.chart({ ...common, id: 'rtt', key: 'probeRttMs', label: 'probe RTT', fmt: (v) => `${v.toFixed(1)} ms`, minMax: 10, colour: '#bf8700' }),
    TW.chart({ ...common, id: 'rtp', key: 'rtpLoss', label: 'RTP loss from carrier', fmt: (v) => TW.pct(v), minMax: 0.05, colour: '#cf222e' }),
  ].join('');
};
