/**
 * Stopping trunkwise without hurting anyone (SIGTERM, SIGINT / Ctrl-C):
 *   1. new calls get 503 (the caller's `draining` flag, set before this starts);
 *   2. carrier health is frozen — no probes, no evaluation, no media sampling — so tearing calls
 *      down, or the carriers' simulator stopping after us, can never raise a false alarm;
 *   3. calls up may finish for up to `limitMs` (a visible "draining N calls, up to 30 s" line, and
 *      how many are left every few seconds); a second signal (a second Ctrl-C) ends the wait at once;
 *   4. at the limit every call still up gets BYE on both legs (the caller's and the carrier's);
 *   5. then the API, the SIP connection, media and the engine close.
 */
import type { Logger } from '../observability/logger';

export const DRAIN_LIMIT_MS = 30_000;
const POLL_MS = 200;
const PROGRESS_EVERY_MS = 5_000;
/** After the BYEs: time for their transactions to complete before the engine goes away. */
const BYE_GRACE_MS = 2_000;
/**
 * A Ctrl-C reaches trunkwise twice — from the terminal and forwarded by the script that started it —
 * within milliseconds; only a signal this long after the first is a person asking again.
 */
const REPEAT_AFTER_MS = 1_000;

export interface DrainDeps {
  logger: Logger;
  /** A line for the person who pressed Ctrl-C (stderr; the logger gets the structured twin). */
  say(line: string): void;
  /** Stop every health input and verdict: probes, evaluation, media sampling. */
  freezeHealth(): void;
  /** Calls up, and calls still being set up. */
  activeCalls(): number;
  /** BYE both legs of every call still up; returns how many calls were ended. */
  hangupAll(): number;
  /** Close the API, SIP connection, media and engine. */
  close(): Promise<void>;
  limitMs?: number;
}

export interface Drain {
  /** Signal received: start draining, or — when already draining — end the calls now. */
  signal(name: string): void;
  /** Resolves when everything is closed. */
  readonly done: Promise<void>;
}

export function createDrain(deps: DrainDeps): Drain {
  const limitMs = deps.limitMs ?? DRAIN_LIMIT_MS;
  let started: number | undefined;
  let forced = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const finish = async (): Promise<void> => {
    const left = deps.activeCalls();
    if (left > 0) {
      const ended = deps.hangupAll();
      const why = forced ? 'asked again' : `drain limit of ${Math.round(limitMs / 1000)} s reached`;
      deps.say(`[trunkwise] ${why}: BYE to both legs of ${ended} call${ended === 1 ? '' : 's'} still up`);
      deps.logger.warn({ event: 'drain-hangup', calls: ended, forced }, 'drain: ending the calls still up (BYE both legs)');
      const until = Date.now() + BYE_GRACE_MS;
      while (deps.activeCalls() > 0 && Date.now() < until) await sleep(POLL_MS);
    }
    deps.logger.info({ event: 'stopped', drainedMs: Date.now() - (started ?? Date.now()) }, 'trunkwise stopped');
    await deps.close().catch((err: Error) => deps.logger.error({ err: err.message }, 'error while closing'));
    resolveDone();
  };

  const run = async (): Promise<void> => {
    const s = Date.now();
    let lastProgress = s;
    // Done when no call is up on two polls running: a call answered a moment ago (200 sent, ACK
    // on its way) is counted again by then.
    let idlePolls = deps.activeCalls() > 0 ? 0 : 1;
    while (idlePolls < 2 && !forced && Date.now() - s < limitMs) {
      await sleep(POLL_MS);
      idlePolls = deps.activeCalls() > 0 ? 0 : idlePolls + 1;
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS && deps.activeCalls() > 0) {
        lastProgress = Date.now();
        deps.say(`[trunkwise] still ${deps.activeCalls()} calls up, ${Math.max(0, Math.round((limitMs - (Date.now() - s)) / 1000))} s left (Ctrl-C again to end them now)`);
      }
    }
    await finish();
  };

  return {
    done,
    signal(name) {
      if (started !== undefined) {
        if (!forced && Date.now() - started >= REPEAT_AFTER_MS) {
          forced = true;
          deps.logger.warn({ signal: name }, 'second stop signal: ending the calls still up now');
        }
        return;
      }
      started = Date.now();
      deps.freezeHealth();
      const n = deps.activeCalls();
      deps.say(`[trunkwise] ${name}: draining ${n} call${n === 1 ? '' : 's'}, up to ${Math.round(limitMs / 1000)} s — new calls get 503; carrier health frozen`);
      deps.logger.warn({ event: 'draining', signal: name, activeCalls: n, limitMs }, 'draining: new calls get 503');
      run().catch((err: Error) => {
        deps.logger.error({ err: err.stack }, 'drain failed; closing');
        void finish();
      });
    },
  };
}

/** What the tracker needs of drachtio-srf's Response: its final flag and the 'end' it emits with the final. */
export interface SetupResponse {
  readonly finalResponseSent: boolean;
  once?(event: 'end', listener: () => void): unknown;
}

/**
 * Calls being set up: INVITEs whose final response has not been sent yet. A response leaves when
 * srf emits its 'end' (the final was sent): each one holds its whole call (request, media session,
 * sockets), and the fuzz run found ~400 finished calls still held here after all traffic ended
 * (fuzz/findings.md #18). Also pruned as it grows (the threshold doubles with what is really
 * pending), for a final sent some other way, so it stays bounded without a timer.
 */
export class SetupTracker {
  private readonly pending = new Set<SetupResponse>();
  private pruneAt = 1024;

  add(res: SetupResponse): void {
    this.pending.add(res);
    res.once?.('end', () => this.pending.delete(res));
    if (this.pending.size >= this.pruneAt) this.pruneAt = Math.max(1024, 2 * this.count());
  }

  /** Responses held right now, answered or not (what count() would prune): for leak tests. */
  get held(): number {
    return this.pending.size;
  }

  count(): number {
    for (const r of this.pending) if (r.finalResponseSent) this.pending.delete(r);
    return this.pending.size;
  }
}

/**
 * BYE on every INVITE dialog drachtio-srf holds (both legs of every call). drachtio-srf keeps its
 * dialogs in a private map and offers no list; until the call layer exposes its live calls (so each
 * ends through its bridge, CDR included), this reads that map defensively and does nothing if absent.
 */
export function hangupSrfDialogs(srf: object): number {
  const dialogs: unknown = Reflect.get(srf, '_dialogs');
  if (!(dialogs instanceof Map)) return 0;
  let legs = 0;
  for (const d of [...(dialogs as Map<unknown, unknown>).values()]) {
    if (typeof d !== 'object' || d === null || Reflect.get(d, 'dialogType') !== 'INVITE') continue;
    const destroy: unknown = Reflect.get(d, 'destroy');
    if (typeof destroy !== 'function') continue;
    try {
      (destroy as (opts: object, cb: () => void) => void).call(d, {}, () => undefined);
      legs++;
    } catch {
      /* a dialog already gone: nothing to end */
    }
  }
  return Math.ceil(legs / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
