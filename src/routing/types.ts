/**
 * Types shared by the routing functions: the compiled route table (built once per config load),
 * the request facts routing looks at, the health snapshot it ranks from and the plan it returns.
 */
import type { RouteConfig } from '../config/types';
import type { Cidr } from './ip';

/** A route with its matchers precompiled. `rank` is its position in evaluation order. */
export interface CompiledRoute extends RouteConfig {
  readonly rank: number;
  readonly regex?: RegExp;
  readonly sourceCidrs: readonly Cidr[];
  /** Named sources (IVR ids), compared with the request's `sourceId`. */
  readonly sourceNames: readonly string[];
}

export interface TrieEntry {
  readonly route: CompiledRoute;
  readonly prefixLen: number;
}

/** One character of a prefix per level; `entries` are the routes whose prefix ends here, best first. */
export interface TrieNode {
  readonly children: Readonly<Record<string, TrieNode>>;
  readonly entries: readonly TrieEntry[];
}

export interface CompiledRouteTable {
  readonly prefixTrie: TrieNode;
  /** Pattern routes (without prefix) indexed by their regex's literal start; entries rank as prefix length 0. */
  readonly patternTrie: TrieNode;
  /** Other non-default routes without a prefix (unanchored patterns, source-only, priority-only), best first. */
  readonly unprefixed: readonly CompiledRoute[];
  readonly defaultRoute: CompiledRoute;
  readonly size: number;
}

export interface RouteRequest {
  /** Request-URI user part, e.g. "+441234567890". */
  readonly user: string;
  /** Source IP (IPv4 or IPv6, brackets allowed). */
  readonly sourceAddress: string;
  /** Named source id (e.g. the authenticated IVR), when admission established one. */
  readonly sourceId?: string;
  /** Header lookup, case-insensitive by name. */
  headers(name: string): string | undefined;
}

export type CarrierState = 'active' | 'degraded' | 'probing' | 'down' | 'drained' | 'disabled';

export interface CarrierSnapshot {
  readonly id: string;
  readonly state: CarrierState;
  /** Health score 0..1. */
  readonly score: number;
  readonly activeCalls: number;
  /** Overrides the carrier's configured maxConcurrent when present. */
  readonly maxConcurrent?: number;
  readonly cpsInLastSecond: number;
  /** Overrides the carrier's configured maxCps when present. */
  readonly maxCps?: number;
  /** 0..1 share of traffic while a recovered carrier ramps back up; default 1. */
  readonly rampFactor?: number;
}

export interface RankState {
  /** Incremented by the caller per decision; picks the round-robin start. */
  readonly rrCounter: number;
  /** Uniform [0, 1); inject a seeded PRNG for determinism in tests and benchmarks. */
  readonly random: () => number;
  /** Decision time (ms). Ranking does not read clocks; it is carried for callers and future use. */
  readonly now: number;
}

export type SkipReason = 'down' | 'probing' | 'drained' | 'disabled' | 'max-concurrent' | 'max-cps' | 'no-snapshot';

export interface CarrierPlan {
  /** Carrier ids in attempt order, at most route.maxAttempts. */
  readonly ordered: string[];
  /** Carriers not ranked normally, with why. Capped ones may still appear at the end of `ordered`. */
  readonly skipped: { id: string; reason: SkipReason }[];
  /** 'all-down': no carrier was usable, so down / unknown carriers were ranked by score as a last resort. */
  readonly mode: 'normal' | 'all-down';
}
