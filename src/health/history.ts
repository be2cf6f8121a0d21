/** The last N health events (state changes, local-fault alarms), newest last, for the admin API. */
import type { HealthEvent } from './types';

export class EventHistory {
  private events: HealthEvent[] = [];

  constructor(private limit: number) {}

  resize(limit: number): void {
    this.limit = limit;
    if (this.events.length > limit) this.events = this.events.slice(-limit);
  }

  add(e: HealthEvent): void {
    this.events.push(e);
    if (this.events.length > this.limit * 2) this.events = this.events.slice(-this.limit);
  }

  /** Newest last; `carrier` filters state changes to one carrier (local-fault events always included). */
  list(carrier?: string): HealthEvent[] {
    const all = this.events.slice(-this.limit);
    return carrier === undefined ? all : all.filter((e) => e.kind !== 'state' || e.carrier === carrier);
  }
}
