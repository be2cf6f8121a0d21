/**
 * Bridging the caller's dialog (A, UAS) and the carrier's (B, UAC): BYE from either side ends the
 * other, re-INVITE / UPDATE with new SDP are passed across (through the media anchor, which
 * rewrites it and moves its streams), and the call's end is reported once.
 *
 * Every re-INVITE either side sends is answered, whatever the other side does (fuzz/findings.md #8):
 *  - one offer crosses the bridge at a time; a re-INVITE from either side while another is being
 *    relayed gets 491 Request Pending (RFC 3261 §14.2: the sender retries after a random pause);
 *  - the far leg's final decides: 2xx → 200 with its answer (re-anchored), 491 → 491, any other → 488;
 *  - the call ending (a BYE from either side, or hangup()) while an offer is being relayed answers
 *    it 487 at once instead of waiting for the far leg (RFC 3261 §15.1.2 asks the same of a UAS
 *    that receives a BYE with requests of the dialog still pending);
 *  - a re-INVITE without an offer is answered here with the SDP this leg already has (RFC 3264 §8:
 *    the 200 carries the offer, unchanged), not relayed.
 */
import type Srf from 'drachtio-srf';
import type { CallMediaSession, MediaLeg } from './media-port';
import { sendReinvite } from './bridge-reinvite';

export type EndedBy = 'caller' | 'carrier' | 'system';

type Relayed = { ok: true; sdp: string } | { ok: false; status: 488 | 491 };

/** srf's Dialog#connected (lib/dialog.js; not in its type file): false once a BYE ended it. */
const gone = (d: Srf.Dialog): boolean => Reflect.get(d, 'connected') === false;

export function bridge(a: Srf.Dialog, b: Srf.Dialog, media: CallMediaSession, onEnd: (by: EndedBy) => void): { hangup(): void } {
  let ended = false;
  /** The re-INVITE whose offer is crossing the bridge now (one at a time). */
  let relaying: Srf.SrfResponse | undefined;
  const finish = (res: Srf.SrfResponse, status: number, body?: string): void => {
    if (relaying === res) relaying = undefined;
    if (!res.finalResponseSent) res.send(status, body === undefined ? {} : { body });
  };
  const endCall = (): void => {
    ended = true;
    if (relaying) finish(relaying, 487);
  };
  const end = (by: EndedBy, other: Srf.Dialog | undefined): void => {
    if (ended) return;
    endCall();
    other?.destroy({ headers: {} }, () => undefined);
    onEnd(by);
  };
  a.on('destroy', () => end('caller', b));
  b.on('destroy', () => end('carrier', a));
  // srf emits 'destroy' once, when the BYE arrives: a leg hung up while the call was still being
  // answered (the carrier's BYE right after its 200) ended before anyone listened (findings #8).
  if (gone(b)) queueMicrotask(() => end('carrier', a));
  else if (gone(a)) queueMicrotask(() => end('caller', b));

  const pass = async (to: Srf.Dialog, leg: MediaLeg, sdp: string): Promise<Relayed> => {
    const offer = await media.reoffer(leg, sdp);
    const answer = await sendReinvite(to, offer);
    if (answer.status >= 300) return { ok: false, status: answer.status === 491 ? 491 : 488 };
    return { ok: true, sdp: answer.sdp ? await media.reanswer(leg, answer.sdp) : answer.sdp };
  };
  const relay = (from: Srf.Dialog, to: Srf.Dialog, leg: MediaLeg): void => {
    from.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      if (ended) return finish(res, 481);
      if (relaying) return finish(res, 491);
      if (!req.body) {
        if (!from.local.sdp) return finish(res, 488);
        return finish(res, 200, from.local.sdp);
      }
      relaying = res;
      pass(to, leg, req.body).then(
        (r) => {
          if (relaying !== res) return; // answered 487 when the call ended
          if (!r.ok) return finish(res, r.status);
          from.local.sdp = r.sdp;
          finish(res, 200, r.sdp);
        },
        () => {
          if (relaying === res) finish(res, 488);
        },
      );
    });
  };
  relay(a, b, 'caller');
  relay(b, a, 'carrier');
  return {
    hangup: () => {
      if (ended) return;
      endCall();
      a.destroy({ headers: {} }, () => undefined);
      b.destroy({ headers: {} }, () => undefined);
      onEnd('system');
    },
  };
}
