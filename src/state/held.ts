/**
 * The leases this process holds, per carrier: renewed on a timer so a live process keeps its calls
 * counted and a crashed one's expire within the lease time. They also give the local caps a store
 * falls back to when its backend cannot be reached (this process's own calls and starts).
 */
import { randomBytes } from 'node:crypto';
import { WindowCounter } from '../common/window-counter';
import type { AcquireResult, Caps, Lease } from './types';

export class HeldLeases {
  private readonly held = new Map<string, Set<string>>();
  private readonly starts = new Map<string, WindowCounter>();

  constructor(private readonly origin: string) {}

  newLease(carrier: string): Lease {
    return { carrier, id: `${this.origin}:${randomBytes(6).toString('hex')}` };
  }

  add(lease: Lease, now: number): void {
    let s = this.held.get(lease.carrier);
    if (!s) this.held.set(lease.carrier, (s = new Set()));
    s.add(lease.id);
    let w = this.starts.get(lease.carrier);
    if (!w) this.starts.set(lease.carrier, (w = new WindowCounter()));
    w.add(now);
  }

  remove(lease: Lease): void {
    this.held.get(lease.carrier)?.delete(lease.id);
  }

  /** Local caps only (the backend is unreachable): this process's own calls and starts count. */
  acquireLocally(carrier: string, caps: Caps, now: number, lease = this.newLease(carrier)): AcquireResult {
    if (caps.maxConcurrent !== undefined && (this.held.get(carrier)?.size ?? 0) >= caps.maxConcurrent) return { ok: false, reason: 'max-concurrent' };
    if (caps.maxCps !== undefined && (this.starts.get(carrier)?.count(now) ?? 0) >= caps.maxCps) return { ok: false, reason: 'max-cps' };
    this.add(lease, now);
    return { ok: true, lease };
  }

  /** Carrier → lease ids held, for renewal. */
  entries(): [string, string[]][] {
    return [...this.held].filter(([, s]) => s.size > 0).map(([c, s]) => [c, [...s]]);
  }

  has(lease: Lease): boolean {
    return this.held.get(lease.carrier)?.has(lease.id) ?? false;
  }

  count(): number {
    let n = 0;
    for (const s of this.held.values()) n += s.size;
    return n;
  }
}
