/**
 * The outage lab, one run: the night of the 2019 outage replayed with real parts in network
 * namespaces (lab/netns.sh): Kamailio's dispatcher as the IVR platform's outbound proxy with SIPp
 * placing alarm calls through it, a trunkwise edge in site A (primary) and site B, the carrier
 * simulator; then site A's uplink loses 5 %, 30 %, 100 % of packets and recovers. Returns the raw
 * observations and the per-phase analysis. The namespaces are always removed, whatever happens.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analysePhases, type LabObservations, type LabPhase, type PhaseResult } from './analysis';
import { ADDR, netns, ROOT, startIn, waitLine, type LabProcess } from './netns';

export interface LabPhaseSpec {
  readonly name: string;
  /** Share of packets dropped to and from site A, 0..1. */
  readonly loss: number;
  readonly s: number;
}

export interface LabOptions {
  /** Upstream health and peers on (503 to the dispatcher's OPTIONS when site A is sick; each site the other's peer) or off (the baseline). */
  upstream: boolean;
  phases: readonly LabPhaseSpec[];
  cps: number;
  holdMs: number;
  log?(line: string): void;
}

const phases = (clean: number, l5: number, l30: number, l100: number, recovered: number): LabPhaseSpec[] => [
  { name: 'clean', loss: 0, s: clean }, ...(l5 > 0 ? [{ name: 'loss 5 %', loss: 0.05, s: l5 }] : []), { name: 'loss 30 %', loss: 0.3, s: l30 },
  { name: 'loss 100 %', loss: 1, s: l100 }, { name: 'recovered', loss: 0, s: recovered },
];
// Recovery is long enough for the upstream hold (upstream.localFault.holdS, 15 s) plus the dispatcher's three good pings.
export const SHORT: Pick<LabOptions, 'phases' | 'cps' | 'holdMs'> = { phases: phases(8, 8, 12, 8, 36), cps: 20, holdMs: 2000 };
export const FULL: Pick<LabOptions, 'phases' | 'cps' | 'holdMs'> = { phases: phases(20, 30, 30, 30, 60), cps: 30, holdMs: 3000 };
/** Without the 5 % phase: how fast 30 % loss moves the IVR off a site that was healthy until then. */
export const FROM_CLEAN: Pick<LabOptions, 'phases' | 'cps' | 'holdMs'> = { phases: phases(20, 0, 20, 10, 40), cps: 30, holdMs: 3000 };
/** A healthy site's uplink cut at once (100 % loss, no milder phase before): how fast the IVR leaves it. */
export const SUDDEN: Pick<LabOptions, 'phases' | 'cps' | 'holdMs'> = {
  phases: [{ name: 'clean', loss: 0, s: 20 }, { name: 'loss 100 %', loss: 1, s: 20 }, { name: 'recovered', loss: 0, s: 40 }], cps: 30, holdMs: 3000,
};

export interface LabRun {
  readonly upstream: boolean;
  readonly cps: number;
  readonly holdMs: number;
  /**
   * failed: alarm calls lost (SIPp: not answered). byeUnanswered: answered and held, but the proxy
   * answered the IVR's BYE 408 (no 200 came back from the edge); byeReachedEdge: of those, the ones
   * the edge's CDR shows hung up by the caller — the BYE got there, its 200 was lost on the way back.
   */
  readonly calls: { readonly placed: number; readonly succeeded: number; readonly failed: number; readonly byeUnanswered: number; readonly byeReachedEdge: number };
  readonly phases: readonly PhaseResult[];
  readonly phaseTimes: readonly LabPhase[];
  readonly observations: LabObservations;
  /** Site A's upstream answers over the run: [epoch ms, cause or 'ok']. */
  readonly upstreamA: ReadonlyArray<readonly [number, string]>;
}

const CARRIER_PORTS = [5071, 5072, 5073];

/** Lab health: the defaults' logic, windows and timers shortened so a sick uplink shows within seconds. */
function siteCarriersYaml(upstream: boolean, peer?: 'a' | 'b'): string {
  const carriers = CARRIER_PORTS.map((p, i) => `  - id: carrier-${'abc'[i]}\n    uri: sip:${ADDR.car}:${p};transport=udp\n    weight: ${[40, 35, 25][i]}\n`).join('');
  return `defaults:
  probe: { enabled: true, intervalMs: 500, timeoutMs: 450, burst: 2 }
health:
  evaluateMs: 500
  windowMs: 5000
  probeWindow: 12
  minSamples: 3
  degradeAfter: 2
  signals:
    probeLoss: { good: 0.05, bad: 0.3, weight: 1 }
    probeLate: { good: 0.1, bad: 0.3, weight: 1 }
    callLate: { good: 0.1, bad: 0.3, weight: 1 }
  recoverAfter: 6
  rampMs: 5000
  flapWindowMs: 60000
upstream:
  enabled: ${upstream}
${peer ? `peers:\n  - id: site-${peer}\n    uri: sip:${ADDR[peer]}:5060;transport=udp\n` : ''}carriers:
${carriers}`;
}

const ROUTE = `routes:
  - id: default
    default: true
    carriers: [{ id: carrier-a }, { id: carrier-b }, { id: carrier-c }]
    maxAttempts: 3
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 30000, setupDeadlineMs: 10000 }
    media: direct
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runLab(o: LabOptions): Promise<LabRun> {
  const log = o.log ?? ((l: string) => void process.stderr.write(`[lab] ${l}\n`));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'twlab-'));
  const procs: LabProcess[] = [];
  try {
    netns('up');
    log(`namespaces up; upstream health and peers ${o.upstream ? 'on' : 'off (baseline)'}`);
    for (const site of ['a', 'b'] as const) writeFileSync(path.join(dir, `carriers-${site}.yaml`), siteCarriersYaml(o.upstream, o.upstream ? (site === 'a' ? 'b' : 'a') : undefined));
    writeFileSync(path.join(dir, 'sim.yaml'), siteCarriersYaml(false));
    mkdirSync(path.join(dir, 'routes'));
    writeFileSync(path.join(dir, 'routes', 'default.yaml'), ROUTE);
    writeFileSync(path.join(dir, 'dispatcher.list'), `1 sip:${ADDR.a}:5060 0 10\n1 sip:${ADDR.b}:5060 0 5\n`);

    const node = (script: string, args: string[]): [string, string[]] => [process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args]];
    const sim = startIn('car', 'simulator', ...node('src/sim/main.ts', ['--carriers', path.join(dir, 'sim.yaml'), '--log-level', 'info',
      ...['a', 'b', 'c'].flatMap((x) => ['--set', `carrier-${x}:ringMs=100`])]), { keep: (l) => l.includes('simulator ready') });
    procs.push(sim);
    const edge = (site: 'a' | 'b'): LabProcess => startIn(site, `site ${site.toUpperCase()}`, ...node('src/main.ts', [
      '--carriers', path.join(dir, `carriers-${site}.yaml`), '--routes', path.join(dir, 'routes'), '--sip', `${ADDR[site]}:5060`,
      '--http', '127.0.0.1:8080', '--allow', '10.77.0.0/24', '--max-cps', '1000', '--max-cps-per-source', '1000',
    ]), { env: { ...process.env, LOG_LEVEL: 'info', TRUNKWISE_ADMIN_TOKEN: 'lab' }, keep: (l) => /"msg":"cdr"|"event":"upstream"|trunkwise ready|"level":[456]0/.test(l) });
    const a = edge('a');
    const b = edge('b');
    procs.push(a, b);
    await Promise.all([waitLine(sim, (l) => l.includes('simulator ready'), 60_000), waitLine(a, (l) => l.includes('trunkwise ready'), 60_000), waitLine(b, (l) => l.includes('trunkwise ready'), 60_000)]);
    log('simulator and both edges ready');
    const kam = startIn('ivr', 'kamailio', 'kamailio', ['-DD', '-E', '-f', path.join(ROOT, 'lab', 'kamailio-ivr.cfg'), '-A', `DS_LIST="${path.join(dir, 'dispatcher.list')}"`, '-A', `SITE_A="sip:${ADDR.a}:5060"`, '-A', `SITE_B="sip:${ADDR.b}:5060"`,
      '-Y', dir, '-P', path.join(dir, 'kamailio.pid'), '-l', `udp:${ADDR.ivr}:5060`, '-n', '2', '-m', '64', '-M', '8'], { keep: (l) => l.includes('LAB ') || /ERROR|CRITICAL/.test(l) });
    procs.push(kam);
    // Settle: the dispatcher's first OPTIONS rounds, and both edges saying 200 for 3 s running
    // (freshly started processes on a busy machine answer their first probes late).
    const sickNow = (p: LabProcess): boolean => /"to":"(localFault|noCarrier)"/.test(p.lines.filter((l) => l.text.includes('"event":"upstream"')).at(-1)?.text ?? '');
    let calm = 0;
    for (const until = Date.now() + 30_000; calm < 3 && Date.now() < until; await sleep(1000)) calm = sickNow(a) || sickNow(b) ? 0 : calm + 1;
    await sleep(1000);
    if (kam.child.exitCode !== null) throw new Error(`kamailio exited: ${kam.lines.map((l) => l.text).join(' | ')}`);

    const totalS = o.phases.reduce((x, p) => x + p.s, 0);
    const placed = Math.round(totalS * o.cps);
    const sippDir = path.join(dir, 'sipp');
    mkdirSync(sippDir);
    const sipp = startIn('ivr', 'sipp', 'sipp', ['-sf', path.join(ROOT, 'lab', 'uac-alarm-call.xml'), '-s', '15550001', '-r', String(o.cps), '-d', String(o.holdMs), '-m', String(placed),
      '-i', ADDR.ivr, '-p', '5090', `${ADDR.ivr}:5060`, '-nostdin', '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-trace_logs', '-max_socket', '2000', '-max_non_invite_retrans', '12'],
    { cwd: sippDir, keep: () => false });
    procs.push(sipp);
    const phases: LabPhase[] = [];
    for (const p of o.phases) {
      const startMs = Date.now();
      netns('loss', 'a', String(p.loss));
      log(`phase "${p.name}" for ${p.s} s`);
      await sleep(p.s * 1000);
      phases.push({ name: p.name, loss: p.loss, startMs, endMs: Date.now() });
    }
    // Calls placed near the end finish their hold and BYE.
    const finished = await Promise.race([sipp.exited.then(() => true), sleep(o.holdMs + 30_000).then(() => false)]);
    if (!finished) log('SIPp did not finish in time; stopping it');
    await sipp.stop();

    const upstreamA = a.lines.filter((l) => l.text.includes('"event":"upstream"')).map((l) => [l.at, (JSON.parse(l.text) as { to: string }).to] as const);
    const observations: LabObservations = {
      upstreamA,
      siteCalls: { a: cdrStarts(a), b: cdrStarts(b) },
      setups: readRtt(sippDir),
      failures: readFailures(sippDir),
      dispatcherTimeoutsA: kam.lines.filter((l) => l.text.includes(`LAB ds-mark-timeout sip:${ADDR.a}:5060`)).map((l) => l.at),
      // Only the dispatcher's own events, naming site A as the OPTIONS' R-URI (a ping) or as $du (an
      // INVITE's timeout, ds_mark_dst: there the R-URI is the callee's).
      dispatcherA: kam.lines.filter((l) => /LAB ds-(down|up) /.test(l.text) && l.text.includes(`=sip:${ADDR.a}:5060`)).map((l) => [l.at, l.text.includes('LAB ds-down ') ? 'down' : 'up'] as const),
    };
    const unanswered = sippFile(sippDir, '_logs.log').map((l) => /BYE-UNANSWERED (\S+)/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
    const hungUp = new Set([...callerEnded(a), ...callerEnded(b)]);
    const totals = { ...readTotals(sippDir), byeUnanswered: unanswered.length, byeReachedEdge: unanswered.filter((id) => hungUp.has(id)).length };
    return { upstream: o.upstream, cps: o.cps, holdMs: o.holdMs, calls: { placed, ...totals }, phases: analysePhases(phases, observations), phaseTimes: phases, observations, upstreamA };
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    netns('down');
    if (process.env.TWLAB_KEEP === '1') {
      for (const p of procs) writeFileSync(path.join(dir, `${p.name.replace(/\W/g, '')}.log`), p.lines.map((l) => `${l.at} ${l.text}`).join('\n'));
      log(`kept ${dir}`);
    }
    else rmSync(dir, { recursive: true, force: true });
    log('namespaces removed');
  }
}

function cdrStarts(p: LabProcess): number[] {
  return p.lines.filter((l) => l.text.includes('"msg":"cdr"')).map((l) => (JSON.parse(l.text) as { cdr: { startedAt: number } }).cdr.startedAt).sort((x, y) => x - y);
}

/** Call-IDs of the calls this edge saw the caller hang up (its CDRs). */
function callerEnded(p: LabProcess): string[] {
  return p.lines.filter((l) => l.text.includes('"msg":"cdr"')).map((l) => (JSON.parse(l.text) as { cdr: { callId: string; endedBy?: string } }).cdr)
    .filter((c) => c.endedBy === 'caller').map((c) => c.callId);
}

function sippFile(dir: string, suffix: string): string[] {
  const f = readdirSync(dir).find((n) => n.endsWith(suffix));
  return f ? readFileSync(path.join(dir, f), 'utf8').trim().split('\n') : [];
}

/** SIPp -trace_rtt: `Date_ms;response_time_ms;rtd_no`, Date_ms since SIPp started (the stats file's StartTime). */
function readRtt(dir: string): Array<readonly [number, number]> {
  const stats = sippFile(dir, 'stats.csv');
  const started = Math.round(Number((stats[1] ?? '').split(';')[0]?.split('\t')[2]) * 1000);
  if (!(started > 0)) return [];
  return sippFile(dir, '_rtt.csv').slice(1).map((l) => l.split(';')).map((c) => [started + Number(c[0]), Number(c[1])] as const).filter(([, ms]) => Number.isFinite(ms));
}

/** SIPp -trace_stat periods: failures counted in each, stamped with the period's end (epoch in CurrentTime's third field). */
function readFailures(dir: string): Array<readonly [number, number]> {
  const lines = sippFile(dir, 'stats.csv');
  const head = (lines[0] ?? '').split(';');
  const cur = head.indexOf('CurrentTime');
  const failed = head.indexOf('FailedCall(P)');
  return lines.slice(1).map((l) => l.split(';')).map((c) => [Math.round(Number((c[cur] ?? '').split('\t')[2]) * 1000), Number(c[failed])] as const).filter(([t, f]) => t > 0 && f > 0);
}

function readTotals(dir: string): { succeeded: number; failed: number } {
  const lines = sippFile(dir, 'stats.csv');
  const head = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  return { succeeded: Number(last[head.indexOf('SuccessfulCall(C)')] ?? 0), failed: Number(last[head.indexOf('FailedCall(C)')] ?? 0) };
}
