/**
 * The one configuration loader (STYLE.md 3): read carriers.yaml and routes/*.yaml, validate against
 * the schemas, apply defaults, cross-check, compile the route table, deep-freeze. Every error is
 * collected (not just the first) with file, path, line and fix. The same function serves start-up
 * and reload: a reload that returns errors leaves the running config untouched.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileRouteTable } from '../routing/compile';
import { buildCarriers } from './carriers';
import { buildPeers } from './peers';
import { buildHealth } from './health';
import { checkMediaProbeFit } from './media-probe-fit';
import { buildUpstream } from './upstream';
import { buildDrills } from './drills';
import { deepFreeze } from './freeze';
import { buildRoutes, type RouteFileInput } from './routes';
import type { CarrierConfig, ConfigError, ConfigResult, LoadOptions, TrunkwiseConfig } from './types';
import { checkCarriersFile, checkRoutesFile, insideAny } from './validate';
import { readYaml } from './yaml-source';

const ROUTE_FILE = /\.ya?ml$/i;

export function loadConfig(opts: LoadOptions): ConfigResult {
  const errors: ConfigError[] = [];

  let carriersResult: ReturnType<typeof buildCarriers> | undefined;
  let healthResult: ReturnType<typeof buildHealth> | undefined;
  let upstream: ReturnType<typeof buildUpstream> | undefined;
  let drills: ReturnType<typeof buildDrills> | undefined;
  let peersResult: ReturnType<typeof buildPeers> | undefined;
  const cr = readYaml(opts.carriersFile, opts.carriersFile);
  if (!cr.ok) errors.push(...cr.errors);
  else {
    const checked = checkCarriersFile(cr.source);
    errors.push(...checked.errors);
    // Also past unknown keys (checked.value is then the file without them): every error in one report.
    const more = (found: ConfigError[]): void => void errors.push(...found.filter((e) => !insideAny(e.path, checked.skip)));
    if (checked.value) {
      carriersResult = buildCarriers(cr.source, checked.value, opts.env);
      if (!carriersResult.ok) more(carriersResult.errors);
      healthResult = buildHealth(cr.source, checked.value.health);
      if (!healthResult.ok) more(healthResult.errors);
      if (carriersResult.ok && healthResult.ok) errors.push(...checkMediaProbeFit(cr.source, carriersResult.value.carriers, healthResult.value));
      upstream = buildUpstream(checked.value.upstream);
      drills = buildDrills(cr.source, checked.value.drills, new Set(checked.value.carriers.map((c) => c.id)), checked.value.peers?.length ?? 0);
      if (!drills.ok) more(drills.errors);
      peersResult = buildPeers(cr.source, checked.value.peers, checked.value.carriers.map((c) => c.id));
      if (!peersResult.ok) more(peersResult.errors);
    }
  }
  const carriers: CarrierConfig[] | undefined = carriersResult?.ok ? carriersResult.value.carriers : undefined;

  let names: string[] = [];
  let allRouteFilesValid = true;
  try {
    names = readdirSync(opts.routesDir).filter((n) => ROUTE_FILE.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    errors.push({ file: opts.routesDir, path: '', message: `cannot read the routes directory (${code})`, fix: 'create it and put at least a default route in it, e.g. routes/99-default.yaml' });
    allRouteFilesValid = false;
  }
  const routeFiles: RouteFileInput[] = [];
  for (const name of names) {
    const r = readYaml(join(opts.routesDir, name), join(opts.routesDir, name));
    if (!r.ok) {
      errors.push(...r.errors);
      allRouteFilesValid = false;
      continue;
    }
    const checked = checkRoutesFile(r.source);
    if (!checked.ok || !checked.value) {
      errors.push(...checked.errors);
      allRouteFilesValid = false;
      continue;
    }
    routeFiles.push({ name, src: r.source, raw: checked.value });
  }
  const routes = buildRoutes(routeFiles, carriers, { checkDefault: allRouteFilesValid, routesDir: opts.routesDir });
  if (!routes.ok) errors.push(...routes.errors);

  if (errors.length > 0 || !carriersResult?.ok || !healthResult?.ok || !upstream || !drills?.ok || !peersResult?.ok || !routes.ok) return { ok: false, errors: dedupe(errors) };

  const compiled = compileRouteTable(routes.value);
  // Peers after the carriers: routes index carriers by position, and cannot name a peer.
  const list = [...carriersResult.value.carriers, ...peersResult.value];
  const carrierById: Record<string, CarrierConfig> = Object.create(null) as Record<string, CarrierConfig>;
  for (const c of list) carrierById[c.id] = c;
  const config: TrunkwiseConfig = {
    carriers: list,
    health: healthResult.value,
    upstream,
    drills: drills.value,
    carrierById,
    routes: compiled.routes,
    routeTable: compiled.table,
    sources: { carriersFile: opts.carriersFile, routesDir: opts.routesDir, routeFiles: names },
    credentials: carriersResult.value.credentials,
    loadedAt: opts.now ?? Date.now(),
  };
  return { ok: true, config: deepFreeze(config) };
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.file}\u0000${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
