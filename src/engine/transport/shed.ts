/**
 * Overload shedding between the UDP ingress thread and the main thread (udp-thread.ts).
 *
 * The ingress thread hands datagrams to the main thread through a MessagePort, which has no bound:
 * offered more calls than it can carry, the main thread falls seconds behind and every call, old and
 * new, waits behind the queue (bench: 800 calls/s at a 400 calls/s edge, setup p99 12 s, thousands of
 * transactions still open 45 s after the load). So the main thread reports through shared memory which
 * batch it has taken, the ingress thread knows what it posted and when, and while the oldest batch
 * not yet taken is older than `ingressMaxLagMs` (or more than `ingressMaxBacklog` datagrams wait) it
 * refuses NEW calls itself: an out-of-dialog INVITE seen for the first time gets a stateless
 * 503 + Retry-After (RFC 3261 §21.5.4), or nothing once the 503 budget is spent. Everything that
 * belongs to calls already admitted passes — responses, ACK, BYE, CANCEL, PRACK, in-dialog requests
 * (To-tag) and retransmissions of INVITEs already passed — so admitted calls finish and their
 * transactions end. A retransmission of a shed INVITE is answered 503 again, also after the overload
 * (the caller already has a final answer for it).
 *
 * The main thread applies the same rule to a batch that reaches it older than the threshold anyway
 * (posted before the lag was seen): its first-seen INVITEs are shed there, not served late.
 *
 * What arrives on the main thread itself (TCP, and UDP with udpIngress 'inline') has no queue to
 * measure: there the same decision is taken with the main thread's own lag (loop-lag.ts) — see
 * loop-shed.ts.
 */
import type { SipResponse, Target } from '../../sip/message';
import { parseMessage } from '../../sip/parser';
import { buildResponse } from '../../sip/response-builder';
import { generateTag } from '../../sip/headers';
import { GATE_SLOTS } from './gate';
import type { TransportLimits } from './limits';
import { TokenBucket } from './rate-limit';
import { responseTarget } from './response-target';

/** Shared slots after the gate counters: counters (both sides add), and what one side tells the other. */
export const PRESSURE = {
  /** Counter: new INVITEs shed (answered or dropped), by either thread. */
  shed: GATE_SLOTS,
  /** Counter: of those, answered 503. */
  shedAnswered503: GATE_SLOTS + 1,
  /** Main thread: sequence number of the last batch it took. */
  consumedSeq: GATE_SLOTS + 2,
  /** Main thread: age (ms) of that batch when taken. */
  lagMs: GATE_SLOTS + 3,
  /** Ingress thread: datagrams posted to the main thread, in all. */
  posted: GATE_SLOTS + 4,
  /** Main thread: datagrams taken, in all (posted − taken: what waits). */
  taken: GATE_SLOTS + 5,
  /** Counters: of `shed`, why — the main thread was behind in time, in datagrams waiting, or a shed INVITE came again. */
  shedLag: GATE_SLOTS + 6,
  shedBacklog: GATE_SLOTS + 7,
  shedRetransmission: GATE_SLOTS + 8,
  /** Ingress thread, gauge: 1 while the kernel filters foreign requests on its socket (flood-guard.ts). */
  kernelFilter: GATE_SLOTS + 9,
} as const;
export const SHARED_SLOTS = GATE_SLOTS + 10;

/** Why a new INVITE was shed (the `reason` label of trunkwise_engine_shed_total). */
export type ShedReason = 'lag' | 'backlog' | 'retransmission';
export const SHED_REASONS: readonly ShedReason[] = ['lag', 'backlog', 'retransmission'];
const REASON_SLOT: Readonly<Record<ShedReason, number>> = { lag: PRESSURE.shedLag, backlog: PRESSURE.shedBacklog, retransmission: PRESSURE.shedRetransmission };

/** The shed counters by reason, read from a counter array. */
export function shedByReason(c: Float64Array): Record<ShedReason, number> {
  return { lag: c[PRESSURE.shedLag]!, backlog: c[PRESSURE.shedBacklog]!, retransmission: c[PRESSURE.shedRetransmission]! };
}

/** How long an INVITE's branch is remembered: its server transaction lives at most 64·T1 (32 s). */
export const REMEMBER_MS = 32_000;
const REMEMBER_MAX = 200_000;

/** What the ingress thread does with a datagram that passed the gate. */
export type ShedVerdict = 'pass' | 'fresh' | 'shed';

export interface InviteKey {
  /** Top Via branch (RFC 3261 magic cookie), else Call-ID + CSeq; undefined when neither is there. */
  key: string | undefined;
  /** The To header carries a tag: an in-dialog request (re-INVITE). */
  toTag: boolean;
}

const INVITE = Buffer.from('INVITE ', 'latin1');

/**
 * For an INVITE request: the key its retransmissions share and whether it is in-dialog. A cheap scan
 * of the header lines (compact forms v/t/i included), not a full parse; undefined for anything else.
 */
export function scanInvite(data: Uint8Array): InviteKey | undefined {
  if (data.length < INVITE.length) return undefined;
  for (let i = 0; i < INVITE.length; i++) if (data[i] !== INVITE[i]) return undefined;
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  let via: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if ((name === 'via' || name === 'v') && via === undefined) via = value.split(',')[0];
    else if ((name === 'to' || name === 't') && to === undefined) to = value;
    else if ((name === 'call-id' || name === 'i') && callId === undefined) callId = value;
    else if (name === 'cseq' && cseq === undefined) cseq = value;
  }
  const branch = via ? /;\s*branch\s*=\s*([^;,\s]+)/i.exec(via)?.[1] : undefined;
  // A tag inside <...> would be a URI parameter, not the header's tag.
  const toParams = to?.replace(/<[^>]*>/g, '') ?? '';
  const key = branch?.startsWith('z9hG4bK') ? branch : callId !== undefined ? `${callId}|${cseq ?? ''}` : undefined;
  return { key, toTag: /;\s*tag\s*=/i.test(toParams) };
}

/** A bounded set of keys remembered for REMEMBER_MS, oldest forgotten first. */
export class RecentKeys<V> {
  private readonly map = new Map<string, { v: V; at: number }>();

  constructor(private readonly max = REMEMBER_MAX, private readonly ttlMs = REMEMBER_MS) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    return e && now - e.at < this.ttlMs ? e.v : undefined;
  }

  set(key: string, v: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, { v, at: now });
    // Insertion order is age order: forget from the front what expired, and the oldest when full.
    for (const [k, e] of this.map) {
      if (now - e.at < this.ttlMs && this.map.size <= this.max) break;
      this.map.delete(k);
    }
  }
}

/**
 * The stateless 503 for a shed INVITE (no transaction: a retransmission draws another), or undefined
 * when the bytes do not parse as a request.
 */
export function shedResponse(data: Uint8Array, source: Target, retryAfterS: number): { res: SipResponse; target: Target } | undefined {
  const parsed = parseMessage(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  if (!parsed.ok || parsed.message.kind !== 'request') return undefined;
  const req = parsed.message;
  const res = buildResponse(req, 503, 'Service Unavailable', { toTag: generateTag(), headers: [{ name: 'Retry-After', value: String(retryAfterS) }] });
  return { res, target: responseTarget(req, source) };
}

/**
 * The per-thread shedding decision. The ingress thread calls posted() for every batch it hands over
 * and classify() for every datagram that passed the gate; the main thread's side only needs
 * remember()/isShed() and the budget. Given `loopLagMs` (the main thread's own lag, loop-shed.ts),
 * "behind" is that lag instead of the queue of posted batches.
 */
export class OverloadShedder {
  private readonly seen = new RecentKeys<'pass' | 'shed'>();
  private readonly budget: TokenBucket;
  /** Batches posted and not yet known to be taken: [seq, postedAt, datagrams]. */
  private readonly queue: Array<[number, number, number]> = [];
  private head = 0;
  private waiting = 0;
  /** Why classify() last said 'shed' (take() counts it under that reason unless told another). */
  lastReason: ShedReason = 'lag';

  constructor(private readonly limits: TransportLimits, private readonly shared: Float64Array, private readonly loopLagMs?: () => number) {
    this.budget = new TokenBucket(limits.shedRejectRate, limits.shedRejectRate);
  }

  posted(seq: number, at: number, datagrams: number): void {
    this.queue.push([seq, at, datagrams]);
    this.waiting += datagrams;
    this.shared[PRESSURE.posted]! += datagrams;
    this.lagMs(at); // forget what was taken also while no new INVITE asks (the queue stays bounded)
  }

  /** Age (ms) of the oldest batch the main thread has not taken yet; 0 when it is caught up. */
  lagMs(now: number): number {
    const taken = this.shared[PRESSURE.consumedSeq]!;
    while (this.head < this.queue.length && this.queue[this.head]![0] <= taken) this.waiting -= this.queue[this.head++]![2];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return this.head < this.queue.length ? now - this.queue[this.head]![1] : 0;
  }

  overloaded(now: number): boolean {
    return this.overloadReason(now) !== undefined;
  }

  /** Why the main thread counts as behind now, or undefined when it does not. */
  overloadReason(now: number): ShedReason | undefined {
    if (this.loopLagMs) return this.loopLagMs() > this.limits.ingressMaxLagMs ? 'lag' : undefined;
    if (this.lagMs(now) > this.limits.ingressMaxLagMs) return 'lag';
    return this.waiting > this.limits.ingressMaxBacklog ? 'backlog' : undefined;
  }

  /**
   * pass: not a new call (or a retransmission of one already passed); fresh: a new call passed now
   * (the main thread may still shed it if the batch reaches it late); shed: refuse it.
   */
  classify(data: Uint8Array, now: number): ShedVerdict {
    const inv = scanInvite(data);
    if (!inv || inv.toTag) return 'pass';
    const before = inv.key === undefined ? undefined : this.seen.get(inv.key, now);
    if (before === 'pass') return 'pass';
    const why = before === 'shed' ? 'retransmission' : this.overloadReason(now);
    if (inv.key !== undefined) this.seen.set(inv.key, why ? 'shed' : 'pass', now);
    if (!why) return 'fresh';
    this.lastReason = why;
    return 'shed';
  }

  /** Count a shed INVITE (by default under the reason classify() gave); true when a 503 may be sent for it (within the budget). */
  take(now: number, reason: ShedReason = this.lastReason): boolean {
    this.shared[PRESSURE.shed]!++;
    this.shared[REASON_SLOT[reason]]!++;
    if (!this.budget.take(now)) return false;
    this.shared[PRESSURE.shedAnswered503]!++;
    return true;
  }

  /** Main thread: remember an INVITE it shed, so its retransmissions are shed too. */
  remember(data: Uint8Array, now: number): void {
    const key = scanInvite(data)?.key;
    if (key !== undefined) this.seen.set(key, 'shed', now);
  }

  /** Main thread: an INVITE it shed before (a retransmission of it). */
  isShed(data: Uint8Array, now: number): boolean {
    if (this.seen.size === 0) return false;
    const key = scanInvite(data)?.key;
    return key !== undefined && this.seen.get(key, now) === 'shed';
  }
}
