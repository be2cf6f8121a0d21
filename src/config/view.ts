/**
 * A plain, JSON-safe description of a loaded config for logs, the admin API and the dashboard:
 * credential env var NAMES and whether they resolved, never values; no compiled matchers.
 */
import type { TrunkwiseConfig } from './types';

export interface ConfigView {
  loadedAt: number;
  sources: { carriersFile: string; routesDir: string; routeFiles: string[] };
  carriers: {
    id: string; description?: string; uri: string; enabled: boolean; weight: number; maxConcurrent?: number; maxCps?: number;
    rewrite: { stripDigits: number; addPrefix: string };
    auth?: { usernameEnv: string; passwordEnv: string; realm?: string; resolved: boolean };
    probe: { enabled: boolean; intervalMs: number; timeoutMs: number; burst: number; aliveCodes: number[] };
    peer?: true;
  }[];
  routes: {
    id: string; description?: string; file: string; order: number; default: boolean;
    match: { prefixes: string[]; pattern?: string; sources: string[]; priority?: { header: string; values: string[] } };
    carriers: { id: string; weight: number; order: number }[];
    strategy: string; maxAttempts: number;
    timers: { attemptNoProvisionalMs: number; attemptNoAnswerMs: number; setupDeadlineMs: number };
    retry: { retryOn: string[]; neverRetry: number[] };
    media: string;
  }[];
}

export function configView(cfg: TrunkwiseConfig): ConfigView {
  return {
    loadedAt: cfg.loadedAt,
    sources: { ...cfg.sources, routeFiles: [...cfg.sources.routeFiles] },
    carriers: cfg.carriers.map((c) => ({
      id: c.id,
      ...(c.description !== undefined && { description: c.description }),
      uri: c.uri, enabled: c.enabled, weight: c.weight,
      ...(c.maxConcurrent !== undefined && { maxConcurrent: c.maxConcurrent }),
      ...(c.maxCps !== undefined && { maxCps: c.maxCps }),
      rewrite: { ...c.rewrite },
      ...(c.auth && { auth: { ...c.auth, resolved: cfg.credentials.has(c.id) } }),
      probe: { ...c.probe, aliveCodes: [...c.probe.aliveCodes] },
      ...(c.peer && { peer: true as const }),
    })),
    routes: cfg.routes.map((r) => ({
      id: r.id,
      ...(r.description !== undefined && { description: r.description }),
      file: r.file, order: r.order, default: r.default,
      match: {
        prefixes: [...r.match.prefixes],
        ...(r.match.pattern !== undefined && { pattern: r.match.pattern }),
        sources: [...r.match.sources],
        ...(r.match.priority && { priority: { header: r.match.priority.header, values: [...r.match.priority.values] } }),
      },
      carriers: r.carriers.map((p) => ({ id: p.id, weight: p.weight, order: p.order })),
      strategy: r.strategy, maxAttempts: r.maxAttempts,
      timers: { ...r.timers },
      retry: { retryOn: [...r.retry.retryOn], neverRetry: [...r.retry.neverRetry] },
      media: r.media,
    })),
  };
}
