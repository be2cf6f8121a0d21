/**
 * Bridging the caller's dialog (A, UAS) and the carrier's (B, UAC): BYE from either side ends the
 * other, re-INVITE / UPDATE with new SDP are passed across (through the media anchor, which
 * rewrites it and moves its streams), and the call's end is reported once.
 */
import type Srf from 'drachtio-srf';
import type { CallMediaSession, MediaLeg } from './media-port';

export type EndedBy = 'caller' | 'carrier' | 'system';

export function bridge(a: Srf.Dialog, b: Srf.Dialog, media: CallMediaSession, onEnd: (by: EndedBy) => void): { hangup(): void } {
  let ended = false;
  const end = (by: EndedBy, other: Srf.Dialog | undefined): void => {
    if (ended) return;
    ended = true;
    other?.destroy({ headers: {} }, () => undefined);
    onEnd(by);
  };
  a.on('destroy', () => end('caller', b));
  b.on('destroy', () => end('carrier', a));
  const relay = (from: Srf.Dialog, to: Srf.Dialog, leg: MediaLeg): void => {
    from.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      const pass = async (): Promise<string> => {
        const offer = req.body ? await media.reoffer(leg, req.body) : req.body;
        const answer: string = await to.modify(offer);
        return answer ? media.reanswer(leg, answer) : answer;
      };
      pass().then((sdp) => res.send(200, { body: sdp }), () => res.send(488));
    });
  };
  relay(a, b, 'caller');
  relay(b, a, 'carrier');
  return {
    hangup: () => {
      if (ended) return;
      ended = true;
      a.destroy({ headers: {} }, () => undefined);
      b.destroy({ headers: {} }, () => undefined);
      onEnd('system');
    },
  };
}
