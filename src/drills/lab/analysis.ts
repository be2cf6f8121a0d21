/**
 * The outage lab's numbers, from what the run recorded (pure, unit-tested):
 *   - calls lost per phase (SIPp's failed calls, by the second they were counted in);
 *   - where new calls went per phase (each site's CDRs, by start time);
 *   - when new calls left site A after a loss phase began (the last call site A took in the phase,
 *     provided it took none in the phase's tail), and when they came back after recovery;
 *   - setup time p50/p99 per phase and the extra p99 over the clean phase's median (SIPp RTD);
 *   - the chain that moves the IVR: when site A first said 503 in the phase, when the dispatcher
 *     first marked it down; and flapping: how often A's answer and the dispatcher's view changed.
 */
export interface LabPhase {
  readonly name: string;
  /** Share of packets dropped on site A's uplink, 0..1. */
  readonly loss: number;
  readonly startMs: number;
  readonly endMs: number;
}

export interface LabObservations {
  /** Start time (epoch ms) of every call each site's edge took (its CDRs). */
  readonly siteCalls: { readonly a: readonly number[]; readonly b: readonly number[] };
  /** SIPp per-call setup time: [epoch ms when measured, setup ms]. */
  readonly setups: ReadonlyArray<readonly [number, number]>;
  /** SIPp failed calls: [epoch ms of the statistics period's end, failures in that period]. */
  readonly failures: ReadonlyArray<readonly [number, number]>;
  /** Kamailio dispatcher's view of site A: [epoch ms, 'up' | 'down']. */
  readonly dispatcherA: ReadonlyArray<readonly [number, 'up' | 'down']>;
  /**
   * When the dispatcher marked site A inactive because a call's INVITE got no provisional in time
   * (ds_mark_dst in lab/kamailio-ivr.cfg): epoch ms. Kamailio runs no dst-down event route for these;
   * the dst-up after one (three good pings) is in dispatcherA.
   */
  readonly dispatcherTimeoutsA: readonly number[];
  /** Site A's OPTIONS answer changes (its `event: upstream` log): [epoch ms, cause or 'ok']. */
  readonly upstreamA: ReadonlyArray<readonly [number, string]>;
}

export interface PhaseResult {
  readonly name: string;
  readonly loss: number;
  readonly durationS: number;
  readonly callsLost: number;
  readonly callsToA: number;
  readonly callsToB: number;
  /** Share of new calls site A took in the phase's last third. */
  readonly tailShareA: number;
  /** ms after the phase began that site A took its last new call (undefined: it kept taking them). */
  readonly leftAAfterMs?: number;
  /** Recovery phase: ms after it began that site A took a new call again. */
  readonly backToAAfterMs?: number;
  readonly setupP50Ms: number;
  readonly setupP99Ms: number;
  /** p99 setup time minus the first (clean) phase's median. */
  readonly extraSetupP99Ms: number;
  /** Times the dispatcher marked site A down / up during the phase. */
  readonly dispatcherDowns: number;
  readonly dispatcherUps: number;
  /** Calls whose INVITE timed out at site A, making the dispatcher mark it inactive (dispatcherTimeoutsA). */
  readonly dispatcherTimeoutMarks: number;
  /** Times site A's OPTIONS answer changed to 503 (any cause) / back to 200 during the phase. */
  readonly upstreamTo503: number;
  readonly upstreamTo200: number;
  /** ms after the phase began that site A first said 503 / the dispatcher first marked it down. */
  readonly unavailableAfterMs?: number;
  readonly dispatcherDownAfterMs?: number;
}

/** The share of the phase at its end over which "site A takes no new calls" is judged. */
const TAIL = 1 / 3;

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const within = (t: number, ph: LabPhase): boolean => t >= ph.startMs && t < ph.endMs;

export function analysePhases(phases: readonly LabPhase[], o: LabObservations): PhaseResult[] {
  const clean = phases[0] ? o.setups.filter(([t]) => within(t, phases[0]!)).map(([, ms]) => ms) : [];
  const baseline = percentile(clean, 50);
  return phases.map((ph, i) => {
    const a = o.siteCalls.a.filter((t) => within(t, ph));
    const b = o.siteCalls.b.filter((t) => within(t, ph));
    const tailFrom = ph.endMs - (ph.endMs - ph.startMs) * TAIL;
    const tailA = a.filter((t) => t >= tailFrom).length;
    const tailB = b.filter((t) => t >= tailFrom).length;
    const setups = o.setups.filter(([t]) => within(t, ph)).map(([, ms]) => ms);
    const p99 = percentile(setups, 99);
    const marks = o.dispatcherA.filter(([t]) => within(t, ph));
    const previous = phases[i - 1];
    const recovering = ph.loss === 0 && previous !== undefined && previous.loss > 0;
    const firstA = a[0];
    const answers = o.upstreamA.filter(([t]) => within(t, ph));
    const firstBad = answers.find(([, c]) => c !== 'ok');
    const firstDown = marks.find(([, m]) => m === 'down');
    return {
      name: ph.name, loss: ph.loss, durationS: Math.round((ph.endMs - ph.startMs) / 1000),
      callsLost: o.failures.filter(([t]) => within(t, ph)).reduce((n, [, f]) => n + f, 0),
      callsToA: a.length, callsToB: b.length,
      tailShareA: tailA + tailB === 0 ? 0 : tailA / (tailA + tailB),
      ...(ph.loss > 0 && tailA === 0 && { leftAAfterMs: (a.length > 0 ? Math.max(...a) : ph.startMs) - ph.startMs }),
      ...(recovering && firstA !== undefined && { backToAAfterMs: Math.min(...a) - ph.startMs }),
      setupP50Ms: percentile(setups, 50), setupP99Ms: p99, extraSetupP99Ms: Math.max(0, p99 - baseline),
      dispatcherDowns: marks.filter(([, s]) => s === 'down').length, dispatcherUps: marks.filter(([, s]) => s === 'up').length,
      dispatcherTimeoutMarks: o.dispatcherTimeoutsA.filter((t) => within(t, ph)).length,
      upstreamTo503: answers.filter(([, c], j) => c !== 'ok' && (j === 0 ? previousAnswer(o.upstreamA, ph.startMs) === 'ok' : answers[j - 1]![1] === 'ok')).length,
      upstreamTo200: answers.filter(([, c]) => c === 'ok').length,
      ...(firstBad && { unavailableAfterMs: firstBad[0] - ph.startMs }),
      ...(firstDown && { dispatcherDownAfterMs: firstDown[0] - ph.startMs }),
    };
  });
}

/** Site A's answer just before `t` ('ok' before its first change). */
function previousAnswer(changes: ReadonlyArray<readonly [number, string]>, t: number): string {
  return changes.filter(([at]) => at < t).at(-1)?.[1] ?? 'ok';
}

/**
 * Flapping, per issue 13 (a sick site may be left; it must not be offered back and forth): in each
 * phase site A's OPTIONS answer changes at most once each way, and the dispatcher brings site A back
 * (dst-up) at most once. The dispatcher's dst-downs are not capped on their own: besides following
 * A's answer, Kamailio marks A inactive on an INVITE that timed out (ds_mark_dst) — a down, an up on
 * a 200 that was on its way before A said 503, then the ping's down is one up, not a flap.
 * Returns one line per phase that broke that; empty when none did.
 */
export function flapping(phases: readonly PhaseResult[]): string[] {
  return phases.flatMap((p) => {
    const bad: string[] = [];
    if (p.upstreamTo503 > 1 || p.upstreamTo200 > 1) bad.push(`site A's answer went 503 ${p.upstreamTo503}× and 200 ${p.upstreamTo200}×`);
    if (p.dispatcherUps > 1) bad.push(`the dispatcher brought A back ${p.dispatcherUps}× (and marked it down ${p.dispatcherDowns}×)`);
    return bad.length === 0 ? [] : [`${p.name}: ${bad.join('; ')}`];
  });
}
