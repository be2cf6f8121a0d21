/**
 * Live RTP loss of one carrier: interval samples (packets expected and lost in the stream the
 * carrier sends us, per call, every few seconds while calls are up) kept for mediaWindowMs. The
 * loss is Σlost / Σexpected over the window — calls weigh by their packets, not one vote each.
 */
interface Sample {
  readonly at: number;
  readonly expected: number;
  readonly lost: number;
}

export interface MediaSummary {
  readonly expected: number;
  readonly lost: number;
  /** Calls that contributed samples within the window. */
  readonly streams: number;
}

export class MediaWindow {
  private samples: Sample[] = [];
  private readonly streams = new Map<string, number>();

  constructor(private windowMs: number) {}

  resize(windowMs: number): void {
    this.windowMs = windowMs;
  }

  add(stream: string, expected: number, lost: number, now: number): void {
    if (expected <= 0) return;
    this.samples.push({ at: now, expected, lost: Math.max(0, Math.min(lost, expected)) });
    this.streams.set(stream, now);
  }

  summary(now: number): MediaSummary {
    const cutoff = now - this.windowMs;
    let i = 0;
    while (i < this.samples.length && this.samples[i]!.at < cutoff) i++;
    if (i > 0) this.samples = this.samples.slice(i);
    for (const [k, at] of this.streams) if (at < cutoff) this.streams.delete(k);
    let expected = 0;
    let lost = 0;
    for (const s of this.samples) {
      expected += s.expected;
      lost += s.lost;
    }
    return { expected, lost, streams: this.streams.size };
  }

  clear(): void {
    this.samples = [];
    this.streams.clear();
  }
}
