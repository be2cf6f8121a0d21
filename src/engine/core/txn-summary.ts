/**
 * Leak diagnostics: the transactions that have been open longer than any RFC 3261 timer would keep
 * a healthy one (64·T1), with what they are waiting for. Cheap enough for every /health call: one
 * pass over the table, at most `limit` summaries kept.
 */
export interface TransactionSummary {
  side: 'server' | 'client';
  method: string;
  state: string;
  ageMs: number;
  /** RFC letters of the timers armed: none armed means nothing will ever end it but the peer or the app. */
  timers: readonly string[];
  callId: string;
  /** Server side: final status sent (0: none yet). Client side: a provisional / final was received. */
  detail: string;
}

export function staleTransactions<E extends { createdAt: number }>(
  entries: Iterable<E>, now: number, olderThanMs: number, describe: (e: E) => Omit<TransactionSummary, 'ageMs'>, limit = 10,
): TransactionSummary[] {
  const out: TransactionSummary[] = [];
  for (const e of entries) {
    const ageMs = now - e.createdAt;
    if (ageMs < olderThanMs) continue;
    out.push({ ...describe(e), ageMs });
    if (out.length >= limit) break;
  }
  return out;
}
