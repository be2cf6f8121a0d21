/**
 * Admin HTTP API (JSON) and /metrics. Reads are open on the admin address; anything that changes
 * state needs `Authorization: Bearer $TRUNKWISE_ADMIN_TOKEN` (and is refused outright when no token
 * is configured).
 *
 *   GET  /dashboard/                  the NOC dashboard (static page polling the endpoints below)
 *   GET  /health                      process and engine health
 *   GET  /metrics                     Prometheus text format
 *   GET  /carriers                    carriers with state, health score, signals and counters
 *   GET  /carriers/:id                one carrier
 *   GET  /events[?carrier=ID]         health state changes and local-fault alarms, newest last
 *   POST /carriers/:id/drain|undrain|disable|enable
 *   POST /reload                      re-read carriers.yaml and routes/ (400 with errors when invalid)
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CarrierRegistry, ManualState } from '../carriers/runtime';
import type { ConfigHolder } from '../app/config-holder';
import type { HealthMonitor } from '../health/monitor';
import { dashboardFile } from './dashboard-files';

export interface AdminDeps {
  logger: Logger;
  metrics: Metrics;
  carriers: CarrierRegistry;
  config: ConfigHolder;
  carrierHealth: HealthMonitor;
  token: string | undefined;
  health(): Record<string, unknown>;
}

type Reply = { status: number; body: unknown; type?: string };

const ACTIONS: Record<string, ManualState> = { drain: 'drained', undrain: 'in-service', disable: 'disabled', enable: 'in-service' };

export function startAdminServer(deps: AdminDeps, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    route(deps, req).then((r) => send(res, r), (err: Error) => {
      deps.logger.error({ err: err.stack }, 'admin request failed');
      send(res, { status: 500, body: { error: 'internal error' } });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function route(deps: AdminDeps, req: http.IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://x');
  const method = req.method ?? 'GET';
  if (method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/dashboard'))) {
    const f = dashboardFile(url.pathname === '/' ? '/dashboard/' : url.pathname);
    if (f) return { status: f.status, body: f.body, type: f.type };
  }
  if (method === 'GET' && url.pathname === '/health') return { status: 200, body: { status: 'ok', ...deps.health() } };
  if (method === 'GET' && url.pathname === '/metrics') {
    return { status: 200, body: await deps.metrics.registry.metrics(), type: deps.metrics.registry.contentType };
  }
  if (method === 'GET' && url.pathname === '/carriers') return { status: 200, body: { localFault: deps.carrierHealth.localFaultSuspected(), carriers: carrierList(deps) } };
  const one = /^\/carriers\/([^/]+)$/.exec(url.pathname);
  if (method === 'GET' && one) {
    const c = carrierList(deps).find((x) => x.id === decodeURIComponent(one[1]!));
    return c ? { status: 200, body: c } : { status: 404, body: { error: `no carrier "${one[1]}"` } };
  }
  if (method === 'GET' && url.pathname === '/events') {
    return { status: 200, body: { localFault: deps.carrierHealth.localFaultSuspected(), events: deps.carrierHealth.events(url.searchParams.get('carrier') ?? undefined) } };
  }
  const action = /^\/carriers\/([^/]+)\/(drain|undrain|disable|enable)$/.exec(url.pathname);
  if (method === 'POST' && (action || url.pathname === '/reload')) {
    const denied = authorise(deps.token, req.headers.authorization);
    if (denied) return denied;
    if (url.pathname === '/reload') {
      const r = deps.config.reload();
      return r.ok ? { status: 200, body: r } : { status: 400, body: { ok: false, errors: r.errors, message: r.message } };
    }
    const [, id, verb] = action!;
    if (!deps.carriers.setManual(decodeURIComponent(id!), ACTIONS[verb!]!)) return { status: 404, body: { error: `no carrier "${id}"` } };
    deps.logger.warn({ carrier: id, action: verb }, 'carrier state changed by operator');
    return { status: 200, body: { ok: true, carrier: id, manual: ACTIONS[verb!] } };
  }
  return { status: 404, body: { error: 'not found', see: ['/dashboard/', '/health', '/metrics', '/carriers', '/carriers/:id', '/events', 'POST /carriers/:id/drain', 'POST /reload'] } };
}

function carrierList(deps: AdminDeps): { id: string; [k: string]: unknown }[] {
  const now = Date.now();
  return deps.config.config.carriers.map((c) => {
    const rt = deps.carriers.get(c.id);
    return {
      id: c.id, uri: c.uri, weight: c.weight, maxConcurrent: c.maxConcurrent ?? null, maxCps: c.maxCps ?? null,
      manual: rt?.manual ?? 'in-service', enabled: c.enabled, health: deps.carrierHealth.view(c.id, now) ?? null,
      activeCalls: rt?.activeCalls ?? 0, counters: rt?.counters ?? null,
      hasCredentials: deps.config.config.credentials.has(c.id),
    };
  });
}

function authorise(token: string | undefined, header: string | undefined): Reply | undefined {
  if (!token) return { status: 403, body: { error: 'state-changing admin requests are disabled: set TRUNKWISE_ADMIN_TOKEN' } };
  const given = Buffer.from((header ?? '').replace(/^Bearer\s+/i, ''));
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { status: 401, body: { error: 'missing or wrong bearer token' } };
  return undefined;
}

function send(res: http.ServerResponse, r: Reply): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
  res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' });
  res.end(text);
}
