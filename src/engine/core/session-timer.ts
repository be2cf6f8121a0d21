/**
 * RFC 4028 session timers, on both sides of a dialog, the way drachtio-server runs them:
 *
 * - UAS (our 2xx to an INVITE, re-INVITE or UPDATE): the app's own Session-Expires wins; else the
 *   request's is echoed (raised to our Min-SE when the UAC does not support timers), with the
 *   request's refresher, or the configured default when it names none ('none' = no timer, drachtio's
 *   default). A request offering less than Min-SE from a UAC that supports timers gets 422.
 * - UAC (a 2xx to an INVITE / UPDATE we sent): its Session-Expires arms the timer; `refresher=uac`
 *   or no refresher means we refresh.
 * - We refresh at half the interval (re-INVITE with the last SDP we sent, or UPDATE when there is
 *   none); the peer refreshes → we send BYE (Reason "Session timer expired") when the session
 *   expires without a refresh, RFC 4028 §10 (slightly before: interval − min(32 s, interval/3)).
 */
import type { SipHeaders, SipRequest, SipResponse } from '../../sip/message';
import { splitHeaderList } from '../../sip/message';
import type { Clock } from '../transaction/types';
import type { Dialog } from '../dialog/dialog';
import type { SessionTimerSettings } from './context';

export interface SessionExpires {
  delta: number;
  refresher: 'uac' | 'uas' | undefined;
}

/** `Session-Expires: 1800;refresher=uac` (compact `x`), or undefined when absent or malformed. */
export function parseSessionExpires(h: SipHeaders): SessionExpires | undefined {
  const v = h.get('session-expires');
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s*(;.*)?$/.exec(v);
  if (!m) return undefined;
  const r = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(m[2] ?? '');
  return { delta: Number(m[1]), refresher: r ? (r[1]!.toLowerCase() as 'uac' | 'uas') : undefined };
}

/** Is an option tag listed in Supported / Require (any number of headers, comma lists)? */
export function hasOptionTag(h: SipHeaders, header: 'supported' | 'require', tag: string): boolean {
  return h.getAll(header).some((v) => splitHeaderList(v).some((x) => x.trim().toLowerCase() === tag));
}

/**
 * A refresh request (INVITE/UPDATE) whose interval is below our Min-SE from a UAC that supports timers
 * must be rejected with 422 carrying our Min-SE (RFC 4028 §9). Returns that Min-SE, or undefined.
 */
export function rejectTooSmall(req: SipRequest, settings: SessionTimerSettings): number | undefined {
  const se = parseSessionExpires(req.headers);
  if (!se || se.delta >= settings.minSE) return undefined;
  const supports = hasOptionTag(req.headers, 'supported', 'timer') || hasOptionTag(req.headers, 'require', 'timer');
  return supports ? settings.minSE : undefined;
}

export interface UasDecision {
  intervalSec: number;
  weRefresh: boolean;
  /** Headers to add to the 2xx (the app wrote none). */
  add: Array<{ name: string; value: string }>;
}

/**
 * What our 2xx to `req` means for the session timer. `running` is the dialog's current timer (a
 * refresh without Session-Expires keeps it going on the same terms). Undefined: no timer.
 */
export function decideUas(req: SipRequest, res: SipResponse, settings: SessionTimerSettings, running: Dialog['sessionTimer']): UasDecision | undefined {
  const supports = hasOptionTag(req.headers, 'supported', 'timer') || hasOptionTag(req.headers, 'require', 'timer');
  const requireTimer = supports && !hasOptionTag(res.headers, 'require', 'timer') ? [{ name: 'Require', value: 'timer' }] : [];
  const fromApp = parseSessionExpires(res.headers);
  if (fromApp) {
    // The app set it: as drachtio, 'uas' means us, 'uac' or nothing means the peer.
    return { intervalSec: Math.max(settings.minSE, fromApp.delta), weRefresh: fromApp.refresher === 'uas', add: requireTimer };
  }
  const offered = parseSessionExpires(req.headers);
  if (offered) {
    // RFC 4028 §9: a UAC that does not support timers cannot refresh, so the UAS must.
    const refresher = !supports ? 'uas' : offered.refresher ?? (running ? (running.weRefresh ? 'uas' : 'uac') : settings.defaultRefresher);
    if (refresher === 'none') return undefined;
    const intervalSec = Math.max(settings.minSE, offered.delta);
    return { intervalSec, weRefresh: refresher === 'uas', add: [{ name: 'Session-Expires', value: `${intervalSec};refresher=${refresher}` }, ...requireTimer] };
  }
  if (!running) return undefined;
  // A re-INVITE/UPDATE without Session-Expires still refreshes the session (RFC 4028 §10).
  const weRefresh = supports ? running.weRefresh : true;
  return {
    intervalSec: running.intervalSec, weRefresh,
    add: [{ name: 'Session-Expires', value: `${running.intervalSec};refresher=${weRefresh ? 'uas' : 'uac'}` }, ...requireTimer],
  };
}

/** A 2xx to an INVITE/UPDATE we sent: its Session-Expires decides (uac or no refresher → we refresh). */
export function decideUac(res: SipResponse, running: Dialog['sessionTimer']): { intervalSec: number; weRefresh: boolean } | undefined {
  const se = parseSessionExpires(res.headers);
  if (se) return { intervalSec: se.delta, weRefresh: se.refresher !== 'uas' };
  return running ? { intervalSec: running.intervalSec, weRefresh: running.weRefresh } : undefined;
}

/** When the timer fires: the refresher at half the interval; the other side slightly before expiry. */
export function timerDelayMs(intervalSec: number, weRefresh: boolean): number {
  // Node cuts delays beyond 2^31−1 ms to 1 ms; a peer's huge Session-Expires must not fire us at once.
  const ms = weRefresh ? (intervalSec * 1000) / 2 : (intervalSec - Math.min(32, intervalSec / 3)) * 1000;
  return Math.min(ms, 2 ** 31 - 1);
}

export interface SessionTimerActions {
  /** We are the refresher and half the interval passed. */
  refresh(d: Dialog): void;
  /** The peer should have refreshed and did not. */
  expire(d: Dialog): void;
}

/** Arms and re-arms the per-dialog timers; the decisions above say with what. */
export class SessionTimers {
  constructor(private readonly clock: Clock, readonly settings: SessionTimerSettings, private readonly actions: SessionTimerActions) {}

  arm(d: Dialog, intervalSec: number, weRefresh: boolean, delayMs = timerDelayMs(intervalSec, weRefresh)): void {
    d.sessionTimer?.timer.cancel();
    const timer = this.clock.setTimer(delayMs, () => {
      if (d.sessionTimer?.timer !== timer) return;
      if (weRefresh) this.actions.refresh(d);
      else {
        d.sessionTimer = undefined;
        this.actions.expire(d);
      }
    });
    d.sessionTimer = { intervalSec, weRefresh, minSE: Math.max(this.settings.minSE, d.sessionTimer?.minSE ?? 0), timer };
  }

  stop(d: Dialog): void {
    d.sessionTimer?.timer.cancel();
    d.sessionTimer = undefined;
  }

  /** UAS: apply decideUas to a 2xx we are about to send (adds headers, arms or stops the timer). */
  onUas2xx(d: Dialog, req: SipRequest, res: SipResponse): void {
    const decision = decideUas(req, res, this.settings, d.sessionTimer);
    if (!decision) return this.stop(d);
    for (const h of decision.add) res.headers.append(h.name, h.value);
    this.arm(d, decision.intervalSec, decision.weRefresh);
  }

  /** UAC: a 2xx to our INVITE/UPDATE (the app's or our own refresh). */
  onUac2xx(d: Dialog, res: SipResponse): void {
    const decision = decideUac(res, d.sessionTimer);
    if (!decision) return;
    this.arm(d, decision.intervalSec, decision.weRefresh);
  }
}
