/**
 * Drill "drain carrier X" against a live edge, safe for production: three equal windows — before,
 * drained, restored — with the edge's own counters read at each boundary and every 250 ms in
 * between. The carrier is restored automatically at the end of the drained window, at once when a
 * call fails while it is drained (the drill must never cost an alarm call more than one), and when
 * the drill fails or is aborted. The report says what moved where, how fast, how many calls failed, and
 * how soon the carrier took calls again. With `testCalls`, the drill also places its own calls in each
 * window (src/drills/synthetic.ts), so it proves something on a quiet edge too.
 */
import { SyntheticCalls, type PlaceTestCall, type SyntheticCounts } from './synthetic';

export interface DrillCounters {
  /** Outbound attempts per carrier so far. */
  attempts: Record<string, number>;
  /** Calls failed to the IVR so far (outcome "failed"). */
  failed: number;
}

export interface DrainDrillDeps {
  counters(): Promise<DrillCounters>;
  /** The operator state of `carrier`: 'in-service' | 'drained' | 'disabled', undefined if unknown. */
  manual(carrier: string): string | undefined;
  setManual(carrier: string, state: 'in-service' | 'drained'): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The drill's own test calls: `perWindow` in each window, placed with `place`. */
export interface DrillTestCalls {
  readonly perWindow: number;
  readonly place: PlaceTestCall;
}

export interface WindowCounts {
  readonly attempts: Record<string, number>;
  readonly share: Record<string, number>;
  readonly callsFailed: number;
}

/** What every drill's report says (drain-carrier's and the site drills'). */
export interface DrillReportCommon {
  /** What the drill moved traffic away from. */
  readonly carrier: string;
  readonly windowMs: number;
  readonly before: WindowCounts;
  readonly during: WindowCounts;
  readonly after: WindowCounts;
  /** ms from the start of the drained window until the last call it moved. */
  readonly movedAfterMs: number;
  /** ms from the drain until the restore (the window's length unless restored early). */
  readonly drainedForMs: number;
  /** ms from the restore until traffic came back (undefined: none in the window). */
  readonly restoredAfterMs?: number;
  readonly callsFailed: number;
  /** The drill's own test calls per window (they are in the counts above too), when it placed any. */
  readonly testCalls?: { readonly before: SyntheticCounts; readonly during: SyntheticCounts; readonly after: SyntheticCounts };
  /** Restored before the end of the drained window because calls were failing. */
  readonly restoredEarly: boolean;
  readonly passed: boolean;
  readonly verdict: string;
}

/** movedAfterMs: until the carrier took no more new attempts; restoredAfterMs: until its first new attempt. */
export interface DrainDrillReport extends DrillReportCommon {
  readonly scenario: 'drain-carrier';
}

const STEP_MS = 250;

/** One window's attempts per carrier, their shares and the calls failed: the counters' difference. */
export function delta(a: DrillCounters, b: DrillCounters): WindowCounts {
  const attempts: Record<string, number> = {};
  for (const id of new Set([...Object.keys(a.attempts), ...Object.keys(b.attempts)])) attempts[id] = (b.attempts[id] ?? 0) - (a.attempts[id] ?? 0);
  const total = Object.values(attempts).reduce((x, y) => x + y, 0);
  const share: Record<string, number> = {};
  for (const [id, n] of Object.entries(attempts)) share[id] = total === 0 ? 0 : Math.round((n / total) * 1000) / 1000;
  return { attempts, share, callsFailed: b.failed - a.failed };
}

export async function runDrainDrill(deps: DrainDrillDeps, carrier: string, windowMs: number, testCalls?: DrillTestCalls): Promise<DrainDrillReport> {
  const synth = testCalls && new SyntheticCalls(testCalls.place, deps.sleep);
  const perWindow = testCalls?.perWindow ?? 0;
  const c0 = await deps.counters();
  synth?.window('before', perWindow, windowMs);
  await deps.sleep(windowMs);
  const c1 = await deps.counters();
  const drainedAt = deps.now();
  deps.setManual(carrier, 'drained');
  synth?.window('during', perWindow, windowMs);
  const synthFailedBefore = synth?.failed ?? 0;
  let lastSeen = drainedAt;
  let c2 = c1;
  let restoredAt: number;
  let restoredEarly = false;
  try {
    for (let prev = c1; deps.now() - drainedAt < windowMs; prev = c2) {
      await deps.sleep(STEP_MS);
      c2 = await deps.counters();
      if ((c2.attempts[carrier] ?? 0) > (prev.attempts[carrier] ?? 0)) lastSeen = deps.now();
      if (c2.failed > c1.failed || (synth?.failed ?? 0) > synthFailedBefore) {
        restoredEarly = true;
        break;
      }
    }
  } finally {
    deps.setManual(carrier, 'in-service');
    restoredAt = deps.now();
  }
  synth?.window('after', perWindow, windowMs);
  let firstBack: number | undefined;
  let c3 = c2;
  for (let prev = c2; deps.now() - restoredAt < windowMs; prev = c3) {
    await deps.sleep(STEP_MS);
    c3 = await deps.counters();
    if (firstBack === undefined && (c3.attempts[carrier] ?? 0) > (prev.attempts[carrier] ?? 0)) firstBack = deps.now();
  }
  const synthetic = await synth?.settle();
  const before = delta(c0, c1);
  const during = delta(c1, c2);
  const after = delta(c2, c3);
  // The test calls are the edge's calls too: their failures are in the edge's counters already.
  const callsFailed = during.callsFailed + after.callsFailed;
  const movedAfterMs = lastSeen - drainedAt;
  // Passed: no call failed while drained or after, the carrier's share went elsewhere (it took no
  // attempts in the second half of the drained window) and it took calls again once restored.
  const tailClean = movedAfterMs <= windowMs / 2;
  const back = firstBack !== undefined;
  // A drill over a carrier that took no traffic before proves nothing.
  const hadTraffic = (before.attempts[carrier] ?? 0) > 0;
  const testFailed = (synthetic?.during?.failed ?? 0) + (synthetic?.after?.failed ?? 0);
  const passed = callsFailed === 0 && testFailed === 0 && tailClean && back && hadTraffic;
  const verdict = passed
    ? `${carrier}'s share ${pct(before.share[carrier])} moved to the others within ${movedAfterMs} ms, 0 calls failed, restored after ${firstBack === undefined ? '—' : `${firstBack - restoredAt} ms`}`
    : [testFailed > 0 && `${testFailed} of the drill's test calls failed`, callsFailed > 0 && `${callsFailed} calls failed${restoredEarly ? ` (${carrier} restored early, ${restoredAt - drainedAt} ms into the drain)` : ''}`, !tailClean && `${carrier} still took attempts ${movedAfterMs} ms after the drain`, !back && `${carrier} took no calls after the restore`, !hadTraffic && `${carrier} took no calls before the drain: nothing to move`].filter(Boolean).join('; ');
  return {
    scenario: 'drain-carrier', carrier, windowMs, before, during, after, movedAfterMs, drainedForMs: restoredAt - drainedAt,
    ...(firstBack !== undefined && { restoredAfterMs: firstBack - restoredAt }), callsFailed, restoredEarly, passed, verdict,
    ...(synthetic && { testCalls: { before: synthetic.before!, during: synthetic.during!, after: synthetic.after! } }),
  };
}

const pct = (x: number | undefined): string => `${Math.round((x ?? 0) * 100)} %`;

export function drillMarkdown(r: DrainDrillReport, startedAt: string): string {
  const ids = Object.keys(r.before.attempts).sort();
  const row = (name: string, w: WindowCounts): string => `| ${name} | ${ids.map((id) => `${w.attempts[id] ?? 0} (${pct(w.share[id])})`).join(' | ')} | ${w.callsFailed} |`;
  return [
    `# Drill: drain ${r.carrier} — ${r.passed ? 'PASSED' : 'FAILED'}`, '',
    `Started ${startedAt}; windows of ${r.windowMs / 1000} s. ${r.verdict}.`, '',
    `| window | ${ids.join(' | ')} | calls failed |`, `|---|${ids.map(() => '---|').join('')}---|`,
    row('before', r.before), row(`${r.carrier} drained`, r.during), row('restored', r.after), '',
    ...(r.testCalls ? [
      'The drill\'s own test calls:', '', '| window | placed | answered | failed | slowest setup |', '|---|---|---|---|---|',
      ...(['before', 'during', 'after'] as const).map((w) => {
        const c = r.testCalls![w];
        return `| ${w === 'during' ? `${r.carrier} drained` : w === 'after' ? 'restored' : w} | ${c.placed} | ${c.answered} | ${c.failed}${c.failures.length ? ` (${c.failures.join(', ')})` : ''} | ${c.setupMaxMs} ms |`;
      }), '',
    ] : []),
  ].join('\n');
}
