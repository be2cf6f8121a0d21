/** A system under test: trunkwise or Kamailio, on its own loopback SIP port, in front of the same carriers. */
import type { BenchCarrier } from './carriers';

export type SutName = 'trunkwise' | 'kamailio';

export interface Sut {
  name: SutName;
  sipPort: number;
  /** Every process of the system now (Kamailio: main + forked workers). */
  pids(): number[];
  /** One line on how it was started, for the method section. */
  describe: string;
  stop(): Promise<void>;
  /** The engine's live transactions and dialogs (trunkwise only), to show they return to 0. */
  counts?(): Promise<EngineCounts | undefined>;
}

export interface EngineCounts {
  serverTransactions: number;
  clientTransactions: number;
  dialogs: number;
  /**
   * e2e: the carriers' OPTIONS probes among the client transactions — always a few in flight or in
   * timer K (5 carriers × 1 probe/s × T4 5 s ≈ 25), never "left over"; clientTransactions excludes them.
   */
  probeTransactions?: number;
  /** Engine bench only: JS heap used and external memory after a full GC, MiB. */
  heapMiB?: number;
  externalMiB?: number;
}

export interface SutOptions {
  carriers: readonly BenchCarrier[];
  /** A temp dir for its config, logs and runtime files. */
  dir: string;
}

/** Per-attempt timers both systems use (trunkwise's route defaults; Kamailio fr_timer / fr_inv_timer). */
export const ATTEMPT_NO_PROVISIONAL_MS = 2000;
export const ATTEMPT_NO_ANSWER_MS = 60_000;
export const MAX_ATTEMPTS = 3;
