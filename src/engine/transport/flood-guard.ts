/**
 * Hands the allowlist to the kernel while a foreign source floods one UDP socket.
 *
 * The gate refuses a foreign request cheaply, but only after the kernel has queued the datagram and
 * node has read it: a sender faster than that read fills the socket's receive buffer, and the
 * kernel then drops whatever arrives next — the allowlisted callers' INVITEs and the carriers'
 * responses as much as the flood (bench/results/flood.md, "kernel dropped (buffer full)"). So when
 * more than `foreignFloodRate` foreign requests a second arrive (judged once a second, or as soon as that
 * many have come since the last judgement), a BPF socket filter built from the
 * allowlist (bpf-program.ts) is attached: the kernel drops foreign requests before queueing them and
 * lets 1 in `foreignFloodSample` through, which the gate counts (the rate estimate that decides when
 * the flood is over) and, in reject mode, answers within its 403 budget. When the estimate stays below
 * half the threshold for `foreignFloodHoldMs`, the filter is removed and every foreign request is
 * seen again. Allowlist changes recompile the program at once.
 *
 * Below the threshold nothing changes: a misconfigured peer's every request is seen and answered.
 */
import type dgram from 'node:dgram';
import type { EngineLogger } from '../logger';
import type { SourceAdmission } from './admission';
import { compileAdmissionFilter } from './bpf-program';
import { GATE } from './gate';
import type { TransportLimits } from './limits';
import { attachFilter, detachFilter } from './socket-filter';

export const FLOOD_TICK_MS = 1000;

export class FloodGuard {
  private attached = false;
  private lastForeign: number;
  private lastTick: number;
  private quietSince: number | undefined;
  /** Why the filter could not be attached (logged once per allowlist), or undefined. */
  private failed: string | undefined;
  private readonly shift: number;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly admission: SourceAdmission,
    private readonly limits: Pick<TransportLimits, 'foreignFloodRate' | 'foreignFloodSample' | 'foreignFloodHoldMs'>,
    private readonly counters: Float64Array,
    private readonly logger: EngineLogger,
    now: number,
    private readonly onState: (attached: boolean) => void = () => undefined,
  ) {
    this.lastForeign = counters[GATE.refusedForeign]!;
    this.lastTick = now;
    this.shift = Math.max(0, Math.round(Math.log2(limits.foreignFloodSample)));
  }

  /** Once a second: the foreign rate the gate saw (scaled by the sample while filtering) decides. */
  tick(now: number): void {
    const seen = this.counters[GATE.refusedForeign]! - this.lastForeign;
    const secs = Math.max(0.001, (now - this.lastTick) / 1000);
    this.lastForeign += seen;
    this.lastTick = now;
    const rate = (seen * (this.attached ? 2 ** this.shift : 1)) / secs;
    if (!this.attached) {
      if (rate >= this.limits.foreignFloodRate && this.admission.enabled) this.attach(rate);
      return;
    }
    if (rate >= this.limits.foreignFloodRate / 2) {
      this.quietSince = undefined;
      return;
    }
    this.quietSince ??= now;
    if (now - this.quietSince >= this.limits.foreignFloodHoldMs) this.detach(rate);
  }

  /**
   * A foreign request was refused (call it for every refusal; it costs a subtraction). Once
   * `foreignFloodRate` of them have come since the last tick the rate is judged now, not at the next
   * tick: at 500,000 a second, waiting up to a second for it lets that many through the gate and, once
   * the socket's buffer is full, drops the legitimate datagrams with them.
   */
  refused(now: number): void {
    if (this.attached || this.failed) return;
    if (this.counters[GATE.refusedForeign]! - this.lastForeign >= this.limits.foreignFloodRate) this.tick(now);
  }

  /** The allowlist changed: a filter in place is rebuilt from it (or removed when every source is admitted). */
  allowlistChanged(): void {
    this.failed = undefined;
    if (!this.attached) return;
    if (!this.admission.enabled) this.detach(0);
    else this.attach(undefined);
  }

  stop(): void {
    if (this.attached) detachFilter(this.socket);
    this.attached = false;
  }

  private attach(rate: number | undefined): void {
    if (this.failed) return;
    try {
      // Inside the try: it runs from the admission's change hook too (a reload, a name re-resolved),
      // where nothing may throw.
      const program = compileAdmissionFilter(this.admission.networks() ?? [], this.shift);
      if (!program) throw new Error('the allowlist needs more than the kernel\'s 4,096 filter instructions');
      attachFilter(this.socket, program);
    } catch (err) {
      this.failed = (err as Error).message;
      this.logger.warn({ err: this.failed }, 'foreign flood: the kernel socket filter could not be attached; the ingress gate refuses the flood alone');
      // A program built from the previous allowlist must not stay: it would drop newly allowed sources.
      if (this.attached) {
        detachFilter(this.socket);
        this.attached = false;
        this.onState(false);
      }
      return;
    }
    if (!this.attached && rate !== undefined) {
      this.logger.warn({ foreignPerSecond: Math.round(rate), sample: 2 ** this.shift }, 'foreign flood: the kernel now drops foreign requests on this socket (a sample still reaches the gate)');
    }
    this.attached = true;
    this.quietSince = undefined;
    this.onState(true);
  }

  private detach(rate: number): void {
    detachFilter(this.socket);
    this.attached = false;
    this.quietSince = undefined;
    this.logger.info({ foreignPerSecond: Math.round(rate) }, 'foreign flood over: kernel socket filter removed');
    this.onState(false);
  }
}
