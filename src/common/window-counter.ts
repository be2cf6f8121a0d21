/** Events in the last second (a sliding window of timestamps): calls/s for admission and per carrier. */
export class WindowCounter {
  private stamps: number[] = [];

  count(now: number): number {
    while (this.stamps.length && now - this.stamps[0]! >= 1000) this.stamps.shift();
    return this.stamps.length;
  }

  add(now: number): void {
    this.stamps.push(now);
  }
}
