/**
 * A fixed-size ring of samples, oldest first: one per carrier for an hour at 5 s (720 samples).
 * Memory is bounded by construction; old samples fall off the end.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`ring capacity ${capacity} must be a positive integer`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity]!);
    return out;
  }

  latest(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** The newest sample taken at or before `t` (by `timeOf`), or the oldest one when all are later. */
  atOrBefore(t: number, timeOf: (x: T) => number): T | undefined {
    const all = this.toArray();
    let found: T | undefined;
    for (const x of all) {
      if (timeOf(x) > t) break;
      found = x;
    }
    return found ?? all[0];
  }
}
