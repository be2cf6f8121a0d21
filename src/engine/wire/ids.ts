/**
 * Ids the engine hands to applications over the wire: frame ids and transaction ids. drachtio-srf
 * uses them only as keys (a `response|<msgId>` matched to the command it answers, a transaction id
 * named again in a CANCEL or a response), so they must be unique, not random. One counter, started
 * at a random point so that an application still holding ids from before an engine restart does not
 * meet them again. Base 36 keeps them under 13 characters, which V8 stores as a flat string of its
 * own: nothing to copy before a transaction keeps one for its 32 s window (issue 11: a randomUUID()
 * per frame and per transaction, flattened by a copy, was ~3 % of what a call allocated).
 */
let next = Math.floor(Math.random() * 2 ** 40);

export function wireId(): string {
  next += 1;
  return next.toString(36);
}
