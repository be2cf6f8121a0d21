/**
 * The embedded RTP relay: anchors each call's media on two local port pairs and forwards between
 * them (session.ts), measuring loss and jitter per direction (RFC 3550). One instance per process;
 * the call layer opens a session per call and must close it on every end path — `stats()` shows
 * sessions and ports held, so a leak is visible.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { MediaError } from '../errors';
import type { FlowName } from './flow';
import { PortPool, type PortPair } from './port-pool';
import { RelaySession, type InactivityHandler, type SessionHost } from './session';

export interface MediaRelayOptions {
  /** Local address the sockets bind to, e.g. '127.0.0.1' or '0.0.0.0'. */
  bindAddress: string;
  /** Address written into our SDP (public address behind NAT); default bindAddress. */
  advertisedAddress?: string;
  /** RTP port range; default 40000–49999. */
  portRange?: { min: number; max: number };
  /** RTP silence on a direction that reports it inactive; default 10000 ms. */
  inactivityTimeoutMs?: number;
  /** Silence of the latched source + steady new source before re-latching; default 1000 ms. */
  relatchMs?: number;
  /** RTP clock rate for jitter in ms; default 8000. */
  clockRate?: number;
  logger?: Logger;
  onInactive?: InactivityHandler;
  /** Milliseconds; default performance.timeOrigin + performance.now() (epoch ms, sub-ms, monotonic). */
  clock?: () => number;
}

export interface RelayStats {
  sessions: number;
  portsInUse: number;
}

const defaultClock = (): number => performance.timeOrigin + performance.now();

export class MediaRelay {
  /** Called when a direction goes silent (silentMs > 0) and when it resumes (silentMs = 0). */
  onInactive: InactivityHandler | undefined;
  private readonly pool: PortPool;
  private readonly sessions = new Map<number, RelaySession>();
  private readonly host: SessionHost;
  private readonly inactivityMs: number;
  private readonly timer: NodeJS.Timeout;
  private nextId = 1;
  private shut = false;

  constructor(opts: MediaRelayOptions) {
    const advertised = opts.advertisedAddress ?? opts.bindAddress;
    if (net.isIP(advertised) === 0) throw new MediaError('E_MEDIA_CONFIG', `advertisedAddress "${advertised}" is not an IP address`);
    const inactivityMs = opts.inactivityTimeoutMs ?? 10_000;
    const relatchMs = opts.relatchMs ?? 1000;
    const clockRate = opts.clockRate ?? 8000;
    for (const [name, v] of [['inactivityTimeoutMs', inactivityMs], ['relatchMs', relatchMs], ['clockRate', clockRate]] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new MediaError('E_MEDIA_CONFIG', `${name} must be a positive number (got ${v})`);
    }
    this.pool = new PortPool({ address: opts.bindAddress, ...(opts.portRange && { min: opts.portRange.min, max: opts.portRange.max }) });
    this.inactivityMs = inactivityMs;
    this.onInactive = opts.onInactive;
    const log = opts.logger?.child({ component: 'media-relay' });
    const clock = opts.clock ?? defaultClock;
    this.host = {
      clock, advertisedAddress: advertised, family: net.isIPv6(opts.bindAddress) ? 6 : 4, relatchMs, clockRate, log,
      inactivity: (s, dir, silentMs, gapMs) => this.fireInactive(s, dir, silentMs, gapMs, log),
      closed: async (s, pairs) => {
        this.sessions.delete(s.id);
        await Promise.all(pairs.map((p) => this.pool.release(p)));
        log?.debug({ callId: s.callId, media: s.id }, 'media session closed');
      },
    };
    // One timer for all sessions: a quarter of the timeout bounds the report's lateness.
    this.timer = setInterval(() => this.scan(clock()), Math.max(50, Math.min(1000, inactivityMs / 4)));
    this.timer.unref();
  }

  /** Allocates leg a (caller / IVR) and leg b (carrier): four sockets. Rejects with E_MEDIA_PORTS_EXHAUSTED. */
  async open(callId: string, carrier: string): Promise<RelaySession> {
    if (this.shut) throw new MediaError('E_MEDIA_CLOSED', 'the relay is closed');
    const pairA = await this.pool.allocate();
    let pairB: PortPair;
    try {
      pairB = await this.pool.allocate();
    } catch (err) {
      await this.pool.release(pairA);
      throw err;
    }
    const session = new RelaySession(this.nextId++, callId, carrier, pairA, pairB, this.host);
    this.sessions.set(session.id, session);
    if (this.shut) {
      // close() ran while we were binding: give the ports back and refuse.
      await session.close();
      throw new MediaError('E_MEDIA_CLOSED', 'the relay closed while the session was opening');
    }
    return session;
  }

  stats(): RelayStats {
    return { sessions: this.sessions.size, portsInUse: this.pool.inUse() };
  }

  /** Open sessions (for the admin API and leak hunting). */
  list(): RelaySession[] {
    return [...this.sessions.values()];
  }

  /** Closes every session and stops the inactivity timer. */
  async close(): Promise<void> {
    this.shut = true;
    clearInterval(this.timer);
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }

  private scan(now: number): void {
    for (const s of this.sessions.values()) s.checkInactivity(now, this.inactivityMs);
  }

  private fireInactive(s: RelaySession, dir: FlowName, silentMs: number, gapMs: number, log: Logger | undefined): void {
    try {
      this.onInactive?.(s, dir, silentMs, gapMs);
    } catch (err) {
      // A throwing handler must not take the packet path or the timer down.
      log?.error({ err, callId: s.callId, direction: dir }, 'onInactive handler threw');
    }
  }
}
