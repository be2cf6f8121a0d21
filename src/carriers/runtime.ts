/**
 * Live per-carrier counters the router needs (active calls, calls started in the last second) and
 * the operator's manual states (drained, disabled). Health (score, automatic state) is owned by
 * src/health and read through `health`; until that lands every carrier reports score 1, active.
 */
import { WindowCounter } from '../common/window-counter';

export type ManualState = 'in-service' | 'drained' | 'disabled';

export interface CarrierCounters {
  attempts: number;
  answered: number;
  failed: number;
  byClass: Record<string, number>;
}

export interface CarrierRuntime {
  readonly id: string;
  activeCalls: number;
  manual: ManualState;
  counters: CarrierCounters;
  /** Attempts started in the last second. */
  recentStarts: WindowCounter;
}

export class CarrierRegistry {
  private readonly carriers = new Map<string, CarrierRuntime>();
  private readonly manualListeners: ((id: string, state: ManualState) => void)[] = [];

  /** Keep runtime state across reloads for carriers that still exist; add new ones; drop removed ones. */
  sync(ids: readonly string[]): void {
    for (const id of ids) if (!this.carriers.has(id)) this.carriers.set(id, fresh(id));
    for (const id of [...this.carriers.keys()]) if (!ids.includes(id)) this.carriers.delete(id);
  }

  get(id: string): CarrierRuntime | undefined {
    return this.carriers.get(id);
  }

  all(): CarrierRuntime[] {
    return [...this.carriers.values()];
  }

  /** Attempts started on a carrier within the last second at `now`. */
  cps(id: string, now: number): number {
    return this.carriers.get(id)?.recentStarts.count(now) ?? 0;
  }

  attemptStarted(id: string, now: number): void {
    const c = this.carriers.get(id);
    if (!c) return;
    c.counters.attempts++;
    c.recentStarts.add(now);
  }

  outcome(id: string, cls: string, answered: boolean): void {
    const c = this.carriers.get(id);
    if (!c) return;
    c.counters.byClass[cls] = (c.counters.byClass[cls] ?? 0) + 1;
    if (answered) c.counters.answered++;
    else c.counters.failed++;
  }

  callUp(id: string): void {
    const c = this.carriers.get(id);
    if (c) c.activeCalls++;
  }

  callDown(id: string): void {
    const c = this.carriers.get(id);
    if (c) c.activeCalls = Math.max(0, c.activeCalls - 1);
  }

  /** The operator's change (admin API): applied here and told to `onManualChange` listeners (the shared state). */
  setManual(id: string, state: ManualState): boolean {
    if (!this.applyManual(id, state)) return false;
    for (const cb of this.manualListeners) cb(id, state);
    return true;
  }

  /** A change made elsewhere (another edge, through the shared state): applied without telling listeners. */
  applyManual(id: string, state: ManualState): boolean {
    const c = this.carriers.get(id);
    if (!c) return false;
    c.manual = state;
    return true;
  }

  onManualChange(cb: (id: string, state: ManualState) => void): void {
    this.manualListeners.push(cb);
  }
}

function fresh(id: string): CarrierRuntime {
  return { id, activeCalls: 0, manual: 'in-service', counters: { attempts: 0, answered: 0, failed: 0, byClass: {} }, recentStarts: new WindowCounter() };
}
