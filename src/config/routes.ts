/**
 * routes/*.yaml after the schema: apply defaults, resolve each pool entry against carriers.yaml,
 * and check what the schema cannot — regexes compile, sources are CIDRs or names, timers leave room
 * for crankback, route ids are unique across files, and exactly one default route exists.
 *
 * Evaluation order: `order` (default 100, lower first), then file name, then position in the file;
 * the default route last. See src/routing/match.ts for how a match is chosen.
 */
import { parseSource } from '../routing/compile';
import type { RawRoute, RawRoutesFile } from './schema';
import type { CarrierConfig, ConfigError, PoolEntry, RetryRules, RetryToken, RouteConfig, RouteTimers } from './types';
import { formatPath, type Checked } from './validate';
import type { PathSegment, YamlSource } from './yaml-source';

export const DEFAULT_ORDER = 100;
export const TIMER_DEFAULTS: RouteTimers = { attemptNoProvisionalMs: 2000, attemptNoAnswerMs: 60_000, setupDeadlineMs: 15_000 };
export const RETRY_DEFAULTS: RetryRules = { retryOn: ['timeout', '408', '5xx', '6xx', 'transport'], neverRetry: [486, 603] };
/** STYLE.md 6: a busy or declining callee is the same callee on every carrier. */
const ALWAYS_NEVER_RETRY = [486, 603];

export interface RouteFileInput {
  /** File name inside routes/ (sort key, stored on each route). */
  name: string;
  src: YamlSource;
  raw: RawRoutesFile;
}

/**
 * `carriers` undefined means carriers.yaml itself is invalid: pool references are then not checked
 * (they would all be reported as unknown), and no routes are returned.
 */
export function buildRoutes(
  files: readonly RouteFileInput[], carriers: readonly CarrierConfig[] | undefined, opts: { checkDefault: boolean; routesDir: string },
): Checked<RouteConfig[]> {
  const errors: ConfigError[] = [];
  const routes: RouteConfig[] = [];
  const byId = new Map<string, CarrierConfig>(carriers?.map((c) => [c.id, c]));
  const seenRoute = new Map<string, string>();

  for (const f of files) {
    const err = (path: PathSegment[], message: string, fix: string): void => {
      const line = f.src.lineOf(path);
      errors.push(line === undefined ? { file: f.src.file, path: formatPath(path), message, fix } : { file: f.src.file, path: formatPath(path), message, fix, line });
    };
    f.raw.routes.forEach((r: RawRoute, i) => {
      const at = (...rest: PathSegment[]): PathSegment[] => ['routes', i, ...rest];
      const first = seenRoute.get(r.id);
      if (first !== undefined) err(at('id'), `duplicate route id "${r.id}" (first used in ${first})`, 'give every route a unique id across all files in routes/');
      else seenRoute.set(r.id, `${f.src.file} routes[${i}]`);

      const m = r.match ?? {};
      const prefixes = m.prefix === undefined ? [] : typeof m.prefix === 'string' ? [m.prefix] : m.prefix;
      const hasConditions = prefixes.length > 0 || m.pattern !== undefined || m.sources !== undefined || m.priority !== undefined;
      if (r.default === true && hasConditions) {
        err(at('match'), `route "${r.id}" is the default route but has match conditions`, 'remove match: (the default route takes everything no other route matches) or remove default: true');
      }
      if (r.default === false && !hasConditions) {
        err(at('default'), `route "${r.id}" has no match conditions but says default: false`, 'add match: conditions, or make it the default route');
      }

      if (m.pattern !== undefined) {
        try {
          new RegExp(m.pattern);
        } catch (e) {
          err(at('match', 'pattern'), `invalid regular expression: ${(e as Error).message}`, 'fix the pattern (JavaScript syntax; quote it in YAML, e.g. \'^\\+44\\d+$\')');
        }
      }
      (m.sources ?? []).forEach((s, j) => {
        const p = parseSource(s);
        if (p.kind === 'invalid') err(at('match', 'sources', j), `bad source: ${p.reason}`, 'write a CIDR such as 10.0.0.0/8 or 2001:db8::/32, a single address, or a source name such as ivr-1');
      });

      const pool: PoolEntry[] = [];
      const inPool = new Set<string>();
      r.carriers.forEach((e, j) => {
        if (inPool.has(e.id)) err(at('carriers', j, 'id'), `carrier "${e.id}" appears twice in this route`, 'list each carrier once');
        inPool.add(e.id);
        if (!carriers) return;
        const c = byId.get(e.id);
        if (!c) {
          err(at('carriers', j, 'id'), `unknown carrier "${e.id}"`, `use an id from carriers.yaml: ${carriers.map((x) => x.id).join(', ')}`);
          return;
        }
        pool.push({
          id: c.id, weight: e.weight ?? c.weight, order: e.order ?? j, carrierIndex: c.index,
          ...(c.maxConcurrent !== undefined && { maxConcurrent: c.maxConcurrent }),
          ...(c.maxCps !== undefined && { maxCps: c.maxCps }),
        });
      });

      const timers: RouteTimers = { ...TIMER_DEFAULTS, ...r.timers };
      if (timers.attemptNoProvisionalMs >= timers.setupDeadlineMs) {
        err(at('timers'), `attemptNoProvisionalMs (${timers.attemptNoProvisionalMs}) ≥ setupDeadlineMs (${timers.setupDeadlineMs}): no second carrier could ever be tried`,
          'make attemptNoProvisionalMs shorter than setupDeadlineMs (defaults 2000 and 15000)');
      }
      if (timers.attemptNoProvisionalFloorMs !== undefined && timers.attemptNoProvisionalFloorMs > timers.attemptNoProvisionalMs) {
        err(at('timers', 'attemptNoProvisionalFloorMs'), `attemptNoProvisionalFloorMs (${timers.attemptNoProvisionalFloorMs}) > attemptNoProvisionalMs (${timers.attemptNoProvisionalMs}): the adaptive timer's floor is above its maximum`,
          'make the floor ≤ attemptNoProvisionalMs (equal turns adaptation off; default floor 400)');
      }

      const retryOn = (r.retry?.retryOn ?? RETRY_DEFAULTS.retryOn) as readonly RetryToken[];
      retryOn.forEach((tok, j) => {
        if (ALWAYS_NEVER_RETRY.includes(Number(tok))) {
          err(at('retry', 'retryOn', j), `${tok} cannot be retried`, '486 Busy Here and 603 Decline are never retried on another carrier (the callee refused); remove it');
        }
      });
      const neverRetry = [...new Set([...ALWAYS_NEVER_RETRY, ...(r.retry?.neverRetry ?? [])])].sort((a, b) => a - b);

      routes.push({
        id: r.id,
        ...(r.description !== undefined && { description: r.description }),
        file: f.name,
        position: i,
        order: r.order ?? DEFAULT_ORDER,
        default: !hasConditions,
        match: {
          prefixes: [...new Set(prefixes)],
          ...(m.pattern !== undefined && { pattern: m.pattern }),
          sources: m.sources ?? [],
          ...(m.priority && { priority: { header: m.priority.header ?? 'Priority', values: m.priority.values.map((v) => v.trim().toLowerCase()) } }),
        },
        carriers: pool,
        strategy: r.strategy ?? 'health-weighted',
        maxAttempts: r.maxAttempts ?? r.carriers.length,
        timers,
        retry: { retryOn: [...retryOn], neverRetry },
        media: r.media ?? 'relay',
      });
    });
  }
  // Skipped when some route file failed its schema: the default may be in that file.
  if (opts.checkDefault) checkDefaults(files, routes, errors, opts.routesDir);
  if (errors.length > 0 || !carriers) return { ok: false, errors };
  return { ok: true, value: routes };
}

function checkDefaults(files: readonly RouteFileInput[], routes: readonly RouteConfig[], errors: ConfigError[], routesDir: string): void {
  const defaults = routes.filter((r) => r.default);
  if (defaults.length === 0) {
    errors.push({
      file: routesDir,
      path: '',
      message: files.length ? `no default route in ${files.map((f) => f.name).join(', ')}: calls matching no route would have nowhere to go` : 'no route files (*.yaml) in the routes directory',
      fix: 'add one route with default: true (and no match:), e.g. in routes/99-default.yaml',
    });
  }
  for (const extra of defaults.slice(1)) {
    const f = files.find((x) => x.name === extra.file)!;
    const path: PathSegment[] = ['routes', extra.position];
    const line = f.src.lineOf(path);
    const first = defaults[0]!;
    const e: ConfigError = {
      file: f.src.file, path: formatPath(path),
      message: `second default route "${extra.id}" (the default is already "${first.id}" in ${first.file}); a route without match: is a default route`,
      fix: 'keep exactly one default route across routes/: add match: conditions to this one or remove it',
    };
    errors.push(line === undefined ? e : { ...e, line });
  }
}
