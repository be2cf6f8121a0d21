/**
 * Symmetric RTP latching (RFC 4961; rtpengine and most SBCs do the same): we send to a leg at the
 * address:port its packets actually come from, since the SDP address is often a private one behind
 * NAT. The rule, per socket (RTP and RTCP latch separately):
 *
 *  1. Not latched (new session, or the leg's SDP changed): the first valid packet from any source
 *     latches that source. Until then we send to the SDP address.
 *  2. Latched: packets from the latched source are accepted. Packets from any other source are
 *     dropped (counted) — a stray or spoofed stream must not hijack the call (the "RTP bleed"
 *     attack) — unless the latched source has been silent for `relatchMs` AND the new source has
 *     been sending steadily (no gap ≥ relatchMs) for `relatchMs`: then we re-latch to it (media
 *     handover to another server without a re-INVITE). Any packet from the old source cancels the
 *     candidate.
 */
export const LATCH_NEW = 1;
export const LATCH_SAME = 0;
export const LATCH_FOREIGN = -1;

export class SourceLatch {
  latched = false;
  address = '';
  port = 0;
  /** Last packet from the latched source. */
  lastAt = 0;
  relatches = 0;
  private candAddress = '';
  private candPort = 0;
  private candSince = 0;
  private candLast = 0;

  constructor(readonly relatchMs: number) {}

  reset(): void {
    this.latched = false;
    this.candAddress = '';
  }

  /** LATCH_SAME (latched source), LATCH_NEW (just latched or re-latched), LATCH_FOREIGN (drop). */
  accept(address: string, port: number, now: number): number {
    if (this.latched && port === this.port && address === this.address) {
      this.lastAt = now;
      this.candAddress = '';
      return LATCH_SAME;
    }
    if (!this.latched) return this.latch(address, port, now);
    if (port !== this.candPort || address !== this.candAddress || now - this.candLast >= this.relatchMs) {
      this.candAddress = address;
      this.candPort = port;
      this.candSince = now;
    }
    this.candLast = now;
    if (now - this.lastAt >= this.relatchMs && now - this.candSince >= this.relatchMs) {
      this.relatches++;
      return this.latch(address, port, now);
    }
    return LATCH_FOREIGN;
  }

  private latch(address: string, port: number, now: number): number {
    this.latched = true;
    this.address = address;
    this.port = port;
    this.lastAt = now;
    this.candAddress = '';
    return LATCH_NEW;
  }
}
