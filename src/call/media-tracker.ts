/**
 * The media sessions of the calls that are up, each with the carrier it is on — so live RTP loss can
 * be sampled per carrier every few seconds while calls last (not only at hangup).
 */
import type { CallMediaSession } from './media-port';

export interface TrackedMedia {
  readonly callId: string;
  readonly carrier: string;
  readonly session: CallMediaSession;
}

export class MediaTracker {
  private readonly live = new Map<string, TrackedMedia>();

  add(m: TrackedMedia): void {
    this.live.set(m.callId, m);
  }

  remove(callId: string): void {
    this.live.delete(callId);
  }

  all(): TrackedMedia[] {
    return [...this.live.values()];
  }

  get size(): number {
    return this.live.size;
  }
}
