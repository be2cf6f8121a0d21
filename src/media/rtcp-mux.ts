/**
 * rtcp-mux (RFC 5761) negotiated on each leg on its own. The relay terminates RTP on both legs and
 * can receive RTCP on either of a leg's sockets, so whether a leg muxes is a matter between the
 * relay and that leg only — the two legs need not agree (mux toward an IVR, a separate RTCP port
 * toward a carrier that declined it). Passing one leg's a=rtcp-mux through to the other, as a proxy
 * would, lets the SDP each side sees disagree with what the relay does.
 *
 * The rules, per offer/answer exchange:
 *  - A leg's offer with a=rtcp-mux (or rtcp-mux-only, RFC 8858) is accepted: the relay answers it
 *    with a=rtcp-mux and sends that leg its RTCP on the RTP port from then on.
 *  - The offer the relay makes to the other leg carries a=rtcp-mux when the offering leg asked for
 *    it, or when that other leg already muxes (once agreed, every later offer carries it again to
 *    keep it — RFC 5761 §5.1.3). Never rtcp-mux-only: the relay can always fall back to two ports.
 *  - That leg muxes only when its answer carries a=rtcp-mux AND the relay's offer did (RFC 8035:
 *    an answerer may not add it on its own; such an answer is treated as not muxing).
 * Pure state, no I/O: the anchor applies the result to the relay legs and to the SDP it writes.
 */
import type { LegName } from './relay/leg';

/** What one side's offer means for both legs. */
export interface MuxOfferResult {
  /** The offering leg muxes (its answer from us carries a=rtcp-mux). */
  offerer: boolean;
  /** The offer we send the other leg carries a=rtcp-mux. */
  offerOther: boolean;
}

const other = (leg: LegName): LegName => (leg === 'a' ? 'b' : 'a');

export class RtcpMuxNegotiation {
  /** Mux in force on each leg (what the relay does now). */
  private readonly agreed: Record<LegName, boolean> = { a: false, b: false };
  /** What our latest offer to each leg said; an answer can only confirm what was offered. */
  private readonly offered: Record<LegName, boolean> = { a: false, b: false };

  /** Leg `from` sent an offer (initial INVITE, re-INVITE, UPDATE) with or without a=rtcp-mux. */
  offer(from: LegName, offersMux: boolean): MuxOfferResult {
    const to = other(from);
    this.agreed[from] = offersMux;
    const offerOther = offersMux || this.agreed[to];
    this.offered[to] = offerOther;
    return { offerer: offersMux, offerOther };
  }

  /**
   * Leg `from` answered our offer. Called again for a later answer to the same offer (183 early
   * media, then the 200), each time against that offer.
   */
  answer(from: LegName, answersMux: boolean): boolean {
    this.agreed[from] = this.offered[from] && answersMux;
    return this.agreed[from];
  }

  /** Mux in force on `leg`. */
  muxes(leg: LegName): boolean {
    return this.agreed[leg];
  }
}
