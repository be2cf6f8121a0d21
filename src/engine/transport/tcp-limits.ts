/**
 * The rules that keep abusive TCP peers from holding the edge's memory and descriptors: what a new
 * inbound connection is allowed (per-source and global caps, foreign peers), and when an established
 * connection counts as idle. Pure bookkeeping, no sockets: the TCP transport applies the verdicts.
 */

export type AcceptVerdict = 'ok' | 'foreign' | 'cap';

/** Inbound connections per source address, against a cap that depends on the source. */
export class ConnectionCaps {
  private readonly perSource = new Map<string, number>();

  constructor(private readonly maxTotal: number) {}

  /**
   * Decide for a new inbound connection from `address` while `total` connections are open;
   * `sourceCap` is that source's cap (0 = not admitted at all). Counts it when admitted.
   */
  admit(address: string, total: number, sourceCap: number): AcceptVerdict {
    if (sourceCap <= 0) return 'foreign';
    const n = this.perSource.get(address) ?? 0;
    if (n >= sourceCap || total >= this.maxTotal) return 'cap';
    this.perSource.set(address, n + 1);
    return 'ok';
  }

  /** An admitted inbound connection closed. */
  release(address: string): void {
    const n = (this.perSource.get(address) ?? 0) - 1;
    if (n > 0) this.perSource.set(address, n);
    else this.perSource.delete(address);
  }

  /** Whether the table may open one more connection of any kind (outbound included). */
  roomFor(total: number): boolean {
    return total < this.maxTotal;
  }

  countFor(address: string): number {
    return this.perSource.get(address) ?? 0;
  }
}

/**
 * Idle means: no complete SIP message received or sent for `idleMs`. Bytes that never finish a
 * message (slowloris) and CRLF keep-alives do not count as activity.
 */
export function isIdle(lastMessageAt: number, now: number, idleMs: number): boolean {
  return now - lastMessageAt >= idleMs;
}

/** How often the idle sweep runs: a quarter of the timeout, at most once a second. */
export function sweepInterval(idleMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(idleMs / 4)));
}

/**
 * How long a request sent on a connection stays "in flight" for failure reporting: a connection that
 * fails or closes within this time fails the request's transaction at once (RFC 3261 §17.1.4: a
 * transport error is reported to the TU) instead of leaving it to timer B/F (64·T1 = 32 s).
 */
export const IN_FLIGHT_MS = 32_000;
