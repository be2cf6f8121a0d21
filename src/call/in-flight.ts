/**
 * The outbound attempts waiting on each carrier right now, so that when health takes a carrier
 * down the attempts that never heard from it (not even a 100 Trying) are given up at once and their
 * calls crank back to the next carrier — instead of each waiting out its no-provisional timer.
 * Attempts that got a provisional are left alone: the callee may be ringing.
 */
export interface DownAbandonable {
  /** Give the attempt up because its carrier is down, if it has had no response; true if it was. */
  carrierDown(): boolean;
}

export class InFlightAttempts {
  private readonly byCarrier = new Map<string, Set<DownAbandonable>>();

  /** Track `a` on `carrier`; call the returned function when the attempt has ended. */
  add(carrier: string, a: DownAbandonable): () => void {
    let set = this.byCarrier.get(carrier);
    if (!set) this.byCarrier.set(carrier, (set = new Set()));
    set.add(a);
    return () => {
      set.delete(a);
      if (set.size === 0 && this.byCarrier.get(carrier) === set) this.byCarrier.delete(carrier);
    };
  }

  /** The carrier went down: abandon its unanswered attempts. Returns how many were. */
  carrierDown(carrier: string): number {
    const set = this.byCarrier.get(carrier);
    if (!set) return 0;
    let n = 0;
    for (const a of [...set]) if (a.carrierDown()) n++;
    return n;
  }

  /** Attempts tracked now, every carrier (for leak checks). */
  get size(): number {
    let n = 0;
    for (const s of this.byCarrier.values()) n += s.size;
    return n;
  }
}
