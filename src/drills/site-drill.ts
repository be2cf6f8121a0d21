/**
 * The two site drills against a live edge, safe for production, in the drain-carrier drill's three
 * windows (before, during, restored) and with its report shape (attempts and share per carrier or
 * peer per window, calls failed, move and restore times, the drill's own test calls):
 *
 *  - drain-site: the site drain for the window — the IVR's OPTIONS get 503 (Retry-After, Reason
 *    "site draining") so its dispatcher moves new calls to another site; calls that still come are
 *    served. Checked: 503 at every step of the window, 200 again once restored, no call failed.
 *    "Moved" is when the last call from the IVR (calls in, less the drill's own) arrived.
 *  - failover-site: this site hands new calls to its peer sites first for the window (the peers
 *    place them on their carriers). Checked: the test calls placed meanwhile are answered through a
 *    peer, the local carriers take no new attempt in the window's second half, and take calls again
 *    once restored.
 *
 * Restored at the end of the window, at once when a call fails meanwhile, and when the drill fails
 * or is aborted (finally).
 */
import { SyntheticCalls, type PlaceTestCall } from './synthetic';
import { delta, type DrillCounters, type DrillReportCommon, type DrillTestCalls, type WindowCounts } from './drain-carrier';

export type SiteScenario = 'drain-site' | 'failover-site';

export interface SiteDrillDeps {
  /** The edge's counters, plus every call that came in (any source). */
  counters(): Promise<DrillCounters & { callsIn: number }>;
  /** The status the IVR's OPTIONS get now (src/sites/upstream-health.ts). */
  upstreamStatus(): number;
  /** Drain the site / fail it over; and undo it. */
  apply(): void;
  restore(): void;
  /** The ids in `counters().attempts` that are peers (the rest are this site's carriers). */
  peers: readonly string[];
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * carrier: "site" (drain-site) or the peers it moved to (failover-site). movedAfterMs: until the last
 * call it moves (drain: from the IVR; failover: to a local carrier); restoredAfterMs: until traffic
 * came back (drain: OPTIONS 200; failover: a local carrier's first attempt).
 */
export interface SiteDrillReport extends DrillReportCommon {
  readonly scenario: SiteScenario;
  /** Calls from the IVR (not the drill's own) per window. */
  readonly ivrCalls: { readonly before: number; readonly during: number; readonly after: number };
  /** The OPTIONS answers seen at the 250 ms steps of each window (distinct statuses). */
  readonly upstream: { readonly before: number[]; readonly during: number[]; readonly after: number[] };
}

const STEP_MS = 250;

interface Sample extends DrillCounters {
  callsIn: number;
  /** The drill's own test calls placed so far. */
  placed: number;
}

const ivr = (s: Sample): number => s.callsIn - s.placed;

export async function runSiteDrill(deps: SiteDrillDeps, scenario: SiteScenario, windowMs: number, testCalls?: DrillTestCalls): Promise<SiteDrillReport> {
  let placed = 0;
  const place: PlaceTestCall | undefined = testCalls && (() => {
    placed++;
    return testCalls.place();
  });
  const synth = place && new SyntheticCalls(place, deps.sleep);
  const perWindow = testCalls?.perWindow ?? 0;
  const local = (s: Sample): number => Object.entries(s.attempts).filter(([id]) => !deps.peers.includes(id)).reduce((n, [, v]) => n + v, 0);
  const sample = async (): Promise<Sample> => ({ ...(await deps.counters()), placed });
  const seen = { before: new Set<number>(), during: new Set<number>(), after: new Set<number>() };
  // A window of steps: sample every STEP_MS, note the OPTIONS answer, stop early when `stop` says so.
  const steps = async (from: Sample, w: keyof typeof seen, each?: (prev: Sample, cur: Sample) => boolean): Promise<Sample> => {
    const start = deps.now();
    let cur = from;
    for (let prev = from; deps.now() - start < windowMs; prev = cur) {
      await deps.sleep(STEP_MS);
      cur = await sample();
      seen[w].add(deps.upstreamStatus());
      if (each?.(prev, cur)) break;
    }
    return cur;
  };

  const c0 = await sample();
  synth?.window('before', perWindow, windowMs);
  const c1 = await steps(c0, 'before');
  const appliedAt = deps.now();
  deps.apply();
  synth?.window('during', perWindow, windowMs);
  const synthFailedBefore = synth?.failed ?? 0;
  let lastMoved = appliedAt;
  let restoredEarly = false;
  let c2 = c1;
  let restoredAt: number;
  try {
    c2 = await steps(c1, 'during', (prev, cur) => {
      const moved = scenario === 'drain-site' ? ivr(cur) > ivr(prev) : local(cur) > local(prev);
      if (moved) lastMoved = deps.now();
      restoredEarly = cur.failed > c1.failed || (synth?.failed ?? 0) > synthFailedBefore;
      return restoredEarly;
    });
  } finally {
    deps.restore();
    restoredAt = deps.now();
  }
  synth?.window('after', perWindow, windowMs);
  let backAt: number | undefined = scenario === 'drain-site' && deps.upstreamStatus() === 200 ? restoredAt : undefined;
  const c3 = await steps(c2, 'after', (prev, cur) => {
    const back = scenario === 'drain-site' ? deps.upstreamStatus() === 200 : local(cur) > local(prev);
    if (backAt === undefined && back) backAt = deps.now();
    return false;
  });
  const synthetic = await synth?.settle();
  const before = delta(c0, c1);
  const during = delta(c1, c2);
  const after = delta(c2, c3);
  const callsFailed = during.callsFailed + after.callsFailed;
  const movedAfterMs = lastMoved - appliedAt;
  const testFailed = (synthetic?.during?.failed ?? 0) + (synthetic?.after?.failed ?? 0);
  const problems: string[] = [];
  if (testFailed > 0) problems.push(`${testFailed} of the drill's test calls failed`);
  if (callsFailed > 0) problems.push(`${callsFailed} calls failed${restoredEarly ? ` (restored early, ${restoredAt - appliedAt} ms into the window)` : ''}`);
  if (backAt === undefined) problems.push(scenario === 'drain-site' ? 'OPTIONS not answered 200 after the restore' : 'the local carriers took no calls after the restore');
  let what: string;
  const peerAttempts = deps.peers.reduce((n, id) => n + (during.attempts[id] ?? 0), 0);
  if (scenario === 'drain-site') {
    const not503 = [...seen.during].filter((s) => s !== 503);
    if (not503.length > 0) problems.push(`OPTIONS answered ${not503.join(', ')} while drained (expected 503)`);
    const ivrDuring = ivr(c2) - ivr(c1);
    what = `OPTIONS answered 503 for ${restoredAt - appliedAt} ms; ${ivrDuring === 0 ? 'no IVR call arrived meanwhile' : `${ivrDuring} IVR calls still arrived, the last ${movedAfterMs} ms into the drain`}`;
  } else {
    const answered = synthetic?.during?.answered ?? 0;
    if (peerAttempts < answered || (testCalls && answered === 0)) problems.push(`only ${peerAttempts} attempts went to a peer for ${answered} test calls answered`);
    if (movedAfterMs > windowMs / 2) problems.push(`the local carriers still took attempts ${movedAfterMs} ms into the failover`);
    what = `${peerAttempts} attempts went to ${deps.peers.join(', ')}; the local carriers' last attempt ${movedAfterMs} ms into the failover`;
  }
  const passed = problems.length === 0;
  return {
    scenario, carrier: scenario === 'drain-site' ? 'site' : deps.peers.join(','), windowMs, before, during, after,
    ivrCalls: { before: ivr(c1) - ivr(c0), during: ivr(c2) - ivr(c1), after: ivr(c3) - ivr(c2) },
    upstream: { before: [...seen.before], during: [...seen.during], after: [...seen.after] },
    movedAfterMs, drainedForMs: restoredAt - appliedAt, ...(backAt !== undefined && { restoredAfterMs: backAt - restoredAt }),
    callsFailed, restoredEarly, passed,
    verdict: passed ? `${what}, 0 calls failed, restored after ${(backAt ?? restoredAt) - restoredAt} ms` : problems.join('; '),
    ...(synthetic && { testCalls: { before: synthetic.before!, during: synthetic.during!, after: synthetic.after! } }),
  };
}

const pct = (x: number | undefined): string => `${Math.round((x ?? 0) * 100)} %`;

export function siteDrillMarkdown(r: SiteDrillReport, startedAt: string): string {
  const ids = [...new Set([...Object.keys(r.before.attempts), ...Object.keys(r.during.attempts)])].sort();
  const row = (name: string, w: WindowCounts, k: 'before' | 'during' | 'after'): string =>
    `| ${name} | ${ids.map((id) => `${w.attempts[id] ?? 0} (${pct(w.share[id])})`).join(' | ')} | ${r.ivrCalls[k]} | ${r.upstream[k].join(', ') || '—'} | ${w.callsFailed} |`;
  const mid = r.scenario === 'drain-site' ? 'site drained' : 'failed over';
  return [
    `# Drill: ${r.scenario === 'drain-site' ? 'drain the site' : `fail the site over to ${r.carrier}`} — ${r.passed ? 'PASSED' : 'FAILED'}`, '',
    `Started ${startedAt}; windows of ${r.windowMs / 1000} s. ${r.verdict}.`, '',
    `| window | ${ids.join(' | ')} | IVR calls in | OPTIONS answer | calls failed |`, `|---|${ids.map(() => '---|').join('')}---|---|---|`,
    row('before', r.before, 'before'), row(mid, r.during, 'during'), row('restored', r.after, 'after'), '',
    ...(r.testCalls ? [
      'The drill\'s own test calls:', '', '| window | placed | answered | failed | slowest setup |', '|---|---|---|---|---|',
      ...(['before', 'during', 'after'] as const).map((w) => {
        const c = r.testCalls![w];
        return `| ${w === 'during' ? mid : w === 'after' ? 'restored' : w} | ${c.placed} | ${c.answered} | ${c.failed}${c.failures.length ? ` (${c.failures.join(', ')})` : ''} | ${c.setupMaxMs} ms |`;
      }), '',
    ] : []),
  ].join('\n');
}
