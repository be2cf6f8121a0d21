/**
 * Ids the engine hands to applications over the wire: frame ids and transaction ids. drachtio-server
 * sends UUIDs for both (DRACHTIO-WIRE.md), and a client may check the form, so these are UUIDs too.
 * drachtio-srf uses them only as keys (a `response|<msgId>` matched to the command it answers, a
 * transaction id named again in a CANCEL or a response), so they must be unique, not random: the
 * first 24 characters come from one randomUUID() per process (version 4, RFC 4122 variant), the last
 * 12 hex digits are a counter started at a random point, so that an application still holding ids
 * from before an engine restart does not meet them again. Issue 11: a randomUUID() per frame and per
 * transaction was ~3 % of what a call allocated; this costs one short hex string and a concatenation.
 */
import { randomUUID } from 'node:crypto';

const prefix = randomUUID().slice(0, 24);
const SPAN = 2 ** 48;
let next = Math.floor(Math.random() * SPAN);

export function wireId(): string {
  next = (next + 1) % SPAN;
  return prefix + next.toString(16).padStart(12, '0');
}
