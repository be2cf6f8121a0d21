/**
 * Peer sites as a last resort: whether a call goes to another site's edge, and in which place of
 * its attempt list. Pure; the INVITE pipeline passes in what it knows.
 *
 * Clauses, first match wins:
 *  - the call came from a trusted peer → never to a peer again (with Max-Forwards, the loop guard:
 *    two sites that are each other's peers hand a call over at most once);
 *  - a failover is forced (the operator or a drill) → peers first, local carriers after;
 *  - a local fault is suspected, or no local carrier is usable (the route's ranking fell back to
 *    down/probing carriers, or left none) → peers first: the peer's carriers are likelier to work
 *    than ours, and trying a carrier we believe down stays as the very last resort;
 *  - otherwise → peers last, after every local carrier failed with a retryable answer.
 * Only usable peers (active or degraded: probed alive, not drained, not disabled) are used.
 */
import { parseIp } from './ip';
import type { CarrierPlan, CarrierSnapshot, CarrierState } from './types';

/** The marker trunkwise puts on a call it hands to a peer; trusted only from a configured peer's address. */
export const PEER_HEADER = 'X-Trunkwise-Peer';

export type PeerPlacement = 'none' | 'first' | 'last';
export type PeerWhy = 'from-peer' | 'no-peers' | 'failover' | 'local-fault' | 'no-local-carrier' | 'last-resort';

export interface PeerPlanInput {
  /** The id of the peer the call came from (trusted marker), if any. */
  readonly fromPeer?: string | undefined;
  readonly failover: boolean;
  readonly localFault: boolean;
  /** The route's carrier ranking. */
  readonly local: CarrierPlan;
  /** Every configured peer's snapshot, in configuration order. */
  readonly peers: readonly CarrierSnapshot[];
}

export interface PeerPlan {
  /** Attempt order: local carriers and peers. */
  readonly ordered: readonly string[];
  /** The peers in `ordered`. */
  readonly peers: readonly string[];
  readonly placement: PeerPlacement;
  readonly why: PeerWhy;
}

const USABLE: ReadonlySet<CarrierState> = new Set(['active', 'degraded']);

export function planPeers(input: PeerPlanInput): PeerPlan {
  const local = input.local.ordered;
  if (input.fromPeer !== undefined) return { ordered: local, peers: [], placement: 'none', why: 'from-peer' };
  // Best score first; equal scores keep configuration order (Array.prototype.sort is stable).
  const peers = input.peers.filter((p) => USABLE.has(p.state)).sort((a, b) => b.score - a.score).map((p) => p.id);
  if (peers.length === 0) return { ordered: local, peers, placement: 'none', why: 'no-peers' };
  const why: PeerWhy | undefined = input.failover ? 'failover'
    : input.localFault ? 'local-fault'
      : input.local.mode === 'all-down' || local.length === 0 ? 'no-local-carrier' : undefined;
  if (why) return { ordered: [...peers, ...local], peers, placement: 'first', why };
  return { ordered: [...local, ...peers], peers, placement: 'last', why: 'last-resort' };
}

export interface PeerAddress {
  readonly id: string;
  readonly host: string;
}

/**
 * The peer a request came from, when it carries the marker AND comes from that peer's address;
 * the marker from anywhere else is ignored (anyone can write a header).
 */
export function trustedPeer(marker: string | undefined, sourceAddress: string, peers: readonly PeerAddress[]): string | undefined {
  if (marker === undefined || marker.trim() === '' || peers.length === 0) return undefined;
  const src = parseIp(sourceAddress);
  if (!src) return undefined;
  const p = peers.find((x) => {
    const a = parseIp(x.host);
    return a !== undefined && a.family === src.family && a.words.every((w, i) => w === src.words[i]);
  });
  return p?.id;
}

/** Is `sourceAddress` one of the peers' addresses (admission lets peers in like carriers)? */
export function isPeerAddress(sourceAddress: string, peers: readonly PeerAddress[]): boolean {
  return trustedPeer('address', sourceAddress, peers) !== undefined;
}
