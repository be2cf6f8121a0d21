/**
 * The re-INVITE a bridge sends on one leg to relay the other leg's offer — written against what
 * drachtio-srf really does (node_modules/drachtio-srf/lib/dialog.js), not with Dialog#modify:
 *  - modify() admits one re-INVITE per dialog at a time and counts them; a final other than 200
 *    rejects the promise but never releases its place, so every later modify() on that dialog
 *    waits for ever (fuzz/findings.md #8: a carrier refused one re-INVITE, the caller's next one
 *    stayed unanswered until the edge was restarted);
 *  - Dialog#request(opts, cb) calls `cb(err)` when the stack refused to send, else `cb(null, res)`
 *    for every response, provisionals included; for an INVITE with a body it ACKs every final.
 * The bridge itself allows one relayed offer per call at a time (src/call/bridge.ts).
 */
import type Srf from 'drachtio-srf';

/** The far leg's final answer to a relayed offer. */
export interface ReinviteAnswer {
  status: number;
  sdp: string;
}

/** Dialog#request as lib/dialog.js implements it (the type file declares the options as a whole SrfRequest). */
type RealDialogRequest = (opts: { method: string; body: string; headers: Record<string, string> }, cb: (err: Error | null, res?: Srf.SrfResponse) => void) => unknown;

function isRealDialogRequest(f: unknown): f is RealDialogRequest {
  return typeof f === 'function';
}

/**
 * Send `sdp` as a re-INVITE on `dialog`; resolves with the first final response (any status),
 * rejects when the stack would not send it (the dialog is already gone).
 */
export function sendReinvite(dialog: Srf.Dialog, sdp: string): Promise<ReinviteAnswer> {
  const fn: unknown = dialog.request;
  if (!isRealDialogRequest(fn)) return Promise.reject(new TypeError('drachtio-srf Dialog has no request()'));
  return new Promise((resolve, reject) => {
    let settled = false;
    fn.call(dialog, { method: 'INVITE', body: sdp, headers: {} }, (err, res) => {
      if (settled) return;
      if (err || !res) {
        settled = true;
        reject(err ?? new Error('re-INVITE not sent'));
        return;
      }
      if (res.status < 200) return;
      settled = true;
      const answer = typeof res.body === 'string' ? res.body : '';
      if (res.status < 300) {
        // What Dialog#modify would have recorded: our offer and their answer on this leg.
        dialog.local.sdp = sdp;
        if (answer) dialog.remote.sdp = answer;
      }
      resolve({ status: res.status, sdp: answer });
    });
  });
}
