/** src/routing: pure functions from a request and a health snapshot to a route, a carrier order and crankback decisions. */
export { matchRoute } from './match';
export { rankCarriers, type RankableRoute } from './rank';
export {
  decideCrankback, selectFinalFailure, retryToken,
  type AttemptFailure, type AttemptResult, type CrankbackInput, type CrankbackDecision, type FailReason, type RetryReason,
} from './crankback';
export { compileRouteTable, compareEvaluationOrder, parseSource, type ParsedSource } from './compile';
export { rewriteUser, carrierRequestUri } from './rewrite';
export { parseIp, parseCidr, cidrContains, type IpAddr, type Cidr } from './ip';
export { seededRandom } from './prng';
export type {
  CompiledRoute, CompiledRouteTable, RouteRequest, CarrierSnapshot, CarrierState, CarrierPlan, RankState, SkipReason, TrieNode, TrieEntry,
} from './types';
export { planPeers, trustedPeer, isPeerAddress, PEER_HEADER, type PeerPlan, type PeerPlanInput, type PeerPlacement, type PeerWhy, type PeerAddress } from './peers';
