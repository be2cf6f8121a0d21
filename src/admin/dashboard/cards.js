// trunkwise dashboard: one card per carrier — state and since when, why (when not active), the score
// bar in the state's colour, every signal (scored or "not measured yet", so cards keep their shape),
// calls up and the last 5 minutes (ASR, failed attempts and how many were retried elsewhere), the
// synthetic media probe's last call (when the carrier has a testNumber), the history charts, and the
// operator's buttons.
'use strict';
window.TW = window.TW || {};

const SIGNAL_HELP = {
  probeLoss: 'share of OPTIONS probes with no alive answer in time',
  probeLate: 'share of probes answered only after a retransmission (T1)',
  rtt: 'smoothed probe round-trip time',
  callFailure: "share of attempts that failed by the carrier's fault",
  callLate: 'share of INVITEs first answered after T1 (retransmitted)',
  pdd: 'median post-dial delay',
  mediaLoss: 'RTP loss on the media the carrier sends us',
};

function signalRow(s) {
  const help = TW.esc(SIGNAL_HELP[s.name] || '');
  if (!s.scored) {
    return `<tr class="unscored" data-testid="signal-${TW.esc(s.name)}"><td title="${help}">${TW.esc(s.name)}</td><td class="num muted" colspan="2" title="${TW.esc(s.note || '')}">not measured yet (${s.samples} sample${s.samples === 1 ? '' : 's'})</td></tr>`;
  }
  const v = s.unit === 'ratio' ? TW.pct(s.value) : TW.ms(s.value);
  const hurt = s.factor < 0.999 ? ' hurt' : '';
  return `<tr class="${hurt}" data-testid="signal-${TW.esc(s.name)}"><td title="${help}">${TW.esc(s.name)}</td><td class="num">${v}</td><td class="num" title="factor on the score (good ${s.good}, bad ${s.bad}, weight ${s.weight})">×${s.factor.toFixed(2)}</td></tr>`;
}

/** Buttons for what the operator can do from this state. */
function actions(c) {
  const id = TW.esc(c.id);
  const b = (action, label, cls = '') => `<button type="button" class="${cls}" data-action="${action}" data-carrier="${id}" data-testid="${action}-${id}">${label}</button>`;
  if (c.manual === 'drained') return b('undrain', 'Undrain') + b('disable', 'Disable', 'danger');
  if (c.manual === 'disabled') return b('enable', 'Enable');
  return b('drain', 'Drain', 'warn') + b('disable', 'Disable', 'danger');
}

function sinceLine(c, now) {
  if (!c.since) return c.state === 'disabled' && !c.enabled ? '<div class="since">disabled in the carriers file</div>' : '';
  const t = Date.parse(c.since);
  return `<div class="since" data-testid="since-${TW.esc(c.id)}"><b>${TW.esc(c.state.toUpperCase())}</b> since ${TW.when(t)} · ${TW.ago(t, now)}</div>`;
}

/**
 * The last synthetic media probe call (health.mediaProbe, src/health/media-probe.ts): answered with
 * its RTP loss, jitter and set-up time, or failed with the status; and the media hold, if any.
 */
function probeLine(c, now) {
  const p = c.health && c.health.mediaProbe;
  if (!p) return '';
  const id = TW.esc(c.id);
  const l = p.last;
  let last = 'no probe call yet';
  let cls = 'muted';
  if (l && l.kind === 'answered') {
    last = `answered · loss <b>${TW.pct(l.loss)}</b> (${l.lost}/${l.expected}) · jitter ${TW.num(l.jitterMs)} ms · setup ${TW.ms(l.setupMs)}`;
    cls = l.loss > 0.01 ? 'bad' : 'good';
  } else if (l) {
    last = `<b>failed</b> · ${TW.esc(l.status)} ${TW.esc(l.reason)}`;
    cls = 'bad';
  }
  const when = l ? ` · ${TW.ago(l.at, now)} ago` : '';
  const held = p.held ? `<div class="reason" data-testid="probe-held-${id}">held until a clean probe call: ${TW.esc(p.heldBecause || 'media loss')}</div>` : '';
  const state = l ? l.kind : 'none';
  return `<div class="probe" data-testid="probe-${id}" data-last="${state}" data-held="${p.held ? 'yes' : 'no'}" title="synthetic media probe: a test call to the carrier's testNumber (carriers.yaml mediaProbe:)">synthetic probe (${p.probes}): <span class="${cls}">${last}</span>${when}</div>${held}`;
}

TW.carrierCard = (c, sum, points, win, stepMs) => {
  const st = c.state || 'unknown';
  const h = c.health || { score: 1, rampFactor: 1 };
  const now = Date.now();
  const colour = TW.STATE_COLOURS[st] || TW.STATE_COLOURS.unknown;
  const ramp = h.rampFactor < 1 ? ` · ramping ${TW.pct(h.rampFactor, 0)}` : '';
  const reason = st !== 'active' && c.reason ? `<div class="reason" data-testid="reason-${TW.esc(c.id)}">${TW.esc(c.reason)}</div>` : '';
  const asr = sum && sum.asr.seizures > 0 ? `ASR ${TW.pct(sum.asr.ratio)} (${sum.asr.answered}/${sum.asr.seizures})` : 'no attempts';
  const failed = sum ? `${sum.failedAttempts} failed attempt${sum.failedAttempts === 1 ? '' : 's'}, ${sum.retriedElsewhere} retried on another carrier` : '';
  const windowLabel = sum && sum.asr.windowS < 290 ? `last ${sum.asr.windowS} s` : 'last 5 min';
  return `<article class="carrier s-${TW.esc(st)}" data-testid="carrier-${TW.esc(c.id)}" data-state="${TW.esc(st)}">
    <h3><span>${TW.esc(c.id)}${c.peer ? ' <small class="peer" data-testid="peer-' + TW.esc(c.id) + '" title="another site\'s edge (carriers.yaml peers:): used when this site cannot place a call">peer site</small>' : ''}</span><span class="state" data-testid="state-${TW.esc(c.id)}">${TW.esc(st)}</span></h3>
    ${sinceLine(c, now)}
    ${reason}
    <div title="health score: the product of the signal factors below">score <b data-testid="score-${TW.esc(c.id)}">${h.score.toFixed(2)}</b> · weight ${c.weight}${ramp}</div>
    <div class="bar" title="score ${h.score.toFixed(2)}"><div data-testid="bar-${TW.esc(c.id)}" style="width:${Math.round(h.score * 100)}%;background:${colour}"></div></div>
    <table class="signals">${(c.signals || []).map(signalRow).join('')}</table>
    <div class="stats"><b>${c.activeCalls}</b> calls up · ${windowLabel}: ${asr} · <span data-testid="failed-${TW.esc(c.id)}">${failed}</span></div>
    ${probeLine(c, now)}
    <div class="charts">${TW.carrierCharts(c.id, points || [], now - win, now, stepMs)}</div>
    <div class="actions">${actions(c)}</div>
  </article>`;
};
