/**
 * Bridging the caller's dialog (A, UAS) and the carrier's (B, UAC): BYE from either side ends the
 * other, re-INVITE / UPDATE with new SDP are passed across, and the call's end is reported once.
 */
import type Srf from 'drachtio-srf';

export type EndedBy = 'caller' | 'carrier' | 'system';

export function bridge(a: Srf.Dialog, b: Srf.Dialog, onEnd: (by: EndedBy) => void): { hangup(): void } {
  let ended = false;
  const end = (by: EndedBy, other: Srf.Dialog | undefined): void => {
    if (ended) return;
    ended = true;
    other?.destroy({ headers: {} }, () => undefined);
    onEnd(by);
  };
  a.on('destroy', () => end('caller', b));
  b.on('destroy', () => end('carrier', a));
  const relay = (from: Srf.Dialog, to: Srf.Dialog): void => {
    from.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      to.modify(req.body).then((sdp: string) => res.send(200, { body: sdp }), () => res.send(488));
    });
  };
  relay(a, b);
  relay(b, a);
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
