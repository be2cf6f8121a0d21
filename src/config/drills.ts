/**
 * carriers.yaml `drills:` — drills the edge runs by itself on a schedule (src/drills/schedule.ts).
 * After the schema: durations parsed, `at` read as a UTC time of day, and the checks a schema
 * cannot make (a known carrier for drain-carrier and none for the site drills, peers for
 * failover-site, unique names, a period longer than the drill itself).
 */
import type { RawDrill } from './schema';
import type { ConfigError } from './types';
import { formatPath, type Checked } from './validate';
import type { PathSegment, YamlSource } from './yaml-source';

interface ScheduledDrillCommon {
  readonly name: string;
  /** Period between runs. */
  readonly everyMs: number;
  /** Runs at `at` + k × every (UTC, minutes after midnight); absent: every period from the edge's start. */
  readonly atMinute?: number;
  /** Each of the drill's three windows (before, drained, restored). */
  readonly windowMs: number;
  readonly testCalls?: { readonly to: string; readonly perWindow: number };
}

/** drain-carrier drains one carrier; drain-site and failover-site act on this site (src/drills/site-drill.ts). */
export type ScheduledDrillConfig = ScheduledDrillCommon & ({ readonly kind: 'drain-carrier'; readonly carrier: string } | { readonly kind: 'drain-site' | 'failover-site' });

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "6h", "7d" → ms (the schema guarantees the shape). */
export function parseEvery(s: string): number {
  const m = /^(\d+)([smhd])$/.exec(s)!;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function buildDrills(src: YamlSource, raw: readonly RawDrill[] | undefined, carrierIds: ReadonlySet<string>, peerCount = 0): Checked<ScheduledDrillConfig[]> {
  const errors: ConfigError[] = [];
  const err = (path: PathSegment[], message: string, fix: string): void => {
    const line = src.lineOf(path);
    errors.push({ file: src.file, path: formatPath(path), message, fix, ...(line !== undefined && { line }) });
  };
  const out: ScheduledDrillConfig[] = [];
  const seen = new Map<string, number>();
  (raw ?? []).forEach((d, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['drills', i, ...rest];
    const prev = seen.get(d.name);
    if (prev !== undefined) err(at('name'), `duplicate drill name "${d.name}" (first used at drills[${prev}])`, 'give every scheduled drill a unique name');
    else seen.set(d.name, i);
    if (d.kind === 'drain-carrier' && d.carrier === undefined) err(at(), 'a drain-carrier drill needs carrier:', `add carrier: with an id from carriers: ${[...carrierIds].join(', ')}`);
    else if (d.kind === 'drain-carrier' && !carrierIds.has(d.carrier!)) err(at('carrier'), `unknown carrier "${d.carrier}"`, `use an id from carriers: ${[...carrierIds].join(', ')}`);
    if (d.kind !== 'drain-carrier' && d.carrier !== undefined) err(at('carrier'), `a ${d.kind} drill acts on this site, not on one carrier`, 'remove carrier: (or use kind: drain-carrier)');
    if (d.kind === 'failover-site' && peerCount === 0) err(at('kind'), 'a failover-site drill hands calls to peer sites, and carriers.yaml has no peers:', 'add the other sites\' edges under peers: (docs/sites.md), or use kind: drain-site');
    const everyMs = parseEvery(d.every);
    const windowMs = (d.windowS ?? 10) * 1000;
    // A drill takes three windows; the next must not be due before this one ended.
    if (everyMs < 4 * windowMs) err(at('every'), `every ${d.every} is shorter than four windows of ${windowMs / 1000} s: a drill would still run when the next is due`, `raise every to at least ${Math.ceil((4 * windowMs) / 1000)}s or shorten windowS`);
    const atMinute = d.at === undefined ? undefined : Number(d.at.slice(0, 2)) * 60 + Number(d.at.slice(3, 5));
    const common = {
      name: d.name, everyMs, windowMs, ...(atMinute !== undefined && { atMinute }),
      ...(d.testCalls && { testCalls: { to: d.testCalls.to, perWindow: d.testCalls.perWindow } }),
    };
    out.push(d.kind === 'drain-carrier' ? { ...common, kind: d.kind, carrier: d.carrier ?? '' } : { ...common, kind: d.kind });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}
