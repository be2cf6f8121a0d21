/**
 * Admin HTTP API (JSON) and /metrics. Reads are open on the admin address; anything that changes
 * state needs `Authorization: Bearer $TRUNKWISE_ADMIN_TOKEN` (and is refused outright when no token
 * is configured). Times are UTC ISO 8601.
 *
 *   GET  /dashboard/                  the NOC dashboard (static page polling the endpoints below)
 *   GET  /health                      process and engine health
 *   GET  /metrics                     Prometheus text format
 *   GET  /carriers                    carriers with state, health score, signals and counters
 *   GET  /carriers?view=summary       one line per carrier (&format=text: the `npm run status` table)
 *   GET  /carriers/:id                one carrier
 *   GET  /carriers/:id/history        its time series (?minutes=N, up to 60; 5 s steps)
 *   GET  /history                     every carrier's time series and calls failed to the IVR (?minutes=N)
 *   GET  /events[?carrier=ID]         state changes, local-fault alarms and operator actions, newest last
 *   POST /carriers/:id/drain|undrain|disable|enable
 *   POST /reload                      re-read carriers.yaml and routes/ (400 with errors when invalid)
 *   … plus the routes of `extensions` (src/sites: /site, /drills), tried before the 404
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CarrierRegistry, ManualState } from '../carriers/runtime';
import type { ConfigHolder } from '../app/config-holder';
import type { HealthMonitor } from '../health/monitor';
import type { HealthEvent } from '../health/types';
import type { HistoryRecorder } from '../history/recorder';
import type { HistorySource } from '../history/types';
import { dashboardFile } from './dashboard-files';
import { asOperatorEvent, mergeEvents, OperatorLog, type OperatorEvent } from './events';
import { carrierList, historyReply, summaryReply } from './carrier-views';

export interface AdminDeps {
  logger: Logger;
  metrics: Metrics;
  carriers: CarrierRegistry;
  config: ConfigHolder;
  carrierHealth: HealthMonitor;
  history: HistoryRecorder;
  /** A reading of the edge now (the history's source), for windows that end at this moment. */
  live: HistorySource;
  token: string | undefined;
  health(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The event history /events shows (the site's shared one with --redis); default: carrierHealth's own. */
  events?(carrier: string | undefined): Promise<readonly HealthEvent[]>;
  /**
   * The site's shared history of operator actions (--redis): `share` records one for every edge and
   * worker (false: no shared history now, kept locally only); `read` gives them back (undefined: none).
   */
  operatorEvents?: {
    share(e: OperatorEvent): boolean;
    read(): Promise<ReadonlyArray<Record<string, unknown>> | undefined>;
  };
  /** After a successful POST /reload here: tell the rest of the host (a worker's supervisor). */
  afterReload?(): void;
  /** More routes (src/sites: /site, /drills); the first that answers wins. */
  extensions?: readonly AdminExtension[];
}

export type Reply = { status: number; body: unknown; type?: string };

/** A request as extensions see it: `authorise()` is the bearer-token check (undefined = allowed). */
export interface AdminRequest {
  method: string;
  url: URL;
  authorise(): Reply | undefined;
  /** The body parsed as JSON ({} when empty; an Error when it is not JSON). */
  json(): Promise<unknown>;
}
export type AdminExtension = (req: AdminRequest) => Promise<Reply | undefined> | Reply | undefined;

const ACTIONS: Record<string, ManualState> = { drain: 'drained', undrain: 'in-service', disable: 'disabled', enable: 'in-service' };

export function startAdminServer(deps: AdminDeps, host: string, port: number): Promise<http.Server> {
  const operator = new OperatorLog();
  const server = http.createServer((req, res) => {
    route(deps, operator, req).then((r) => send(res, r), (err: Error) => {
      deps.logger.error({ err: err.stack }, 'admin request failed');
      send(res, { status: 500, body: { error: 'internal error' } });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function route(deps: AdminDeps, operator: OperatorLog, req: http.IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://x');
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  if (method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/dashboard'))) {
    const f = dashboardFile(url.pathname === '/' ? '/dashboard/' : url.pathname);
    if (f) return { status: f.status, body: f.body, type: f.type };
  }
  if (method === 'GET' && url.pathname === '/health') return { status: 200, body: { status: 'ok', ...(await deps.health()) } };
  if (method === 'GET' && url.pathname === '/metrics') {
    return { status: 200, body: await deps.metrics.registry.metrics(), type: deps.metrics.registry.contentType };
  }
  if (method === 'GET' && url.pathname === '/carriers') {
    if (q.get('view') === 'summary') return summaryReply(deps, operator, q.get('format') === 'text', `${req.headers.host ?? ''}`);
    if (q.has('view')) return { status: 400, body: { error: `unknown view "${q.get('view')}" (known: summary)` } };
    return { status: 200, body: { localFault: deps.carrierHealth.localFaultSuspected(), carriers: carrierList(deps, operator) } };
  }
  if (method === 'GET' && url.pathname === '/history') return historyReply(deps, undefined, q.get('minutes'));
  const hist = /^\/carriers\/([^/]+)\/history$/.exec(url.pathname);
  if (method === 'GET' && hist) return historyReply(deps, decodeURIComponent(hist[1]!), q.get('minutes'));
  const one = /^\/carriers\/([^/]+)$/.exec(url.pathname);
  if (method === 'GET' && one) {
    const c = carrierList(deps, operator).find((x) => x.id === decodeURIComponent(one[1]!));
    return c ? { status: 200, body: c } : { status: 404, body: { error: `no carrier "${one[1]}"` } };
  }
  if (method === 'GET' && url.pathname === '/events') {
    const carrier = q.get('carrier') ?? undefined;
    const health = deps.events ? await deps.events(carrier) : deps.carrierHealth.events(carrier);
    return { status: 200, body: { localFault: deps.carrierHealth.localFaultSuspected(), events: mergeEvents(health, await operatorEvents(deps, operator, carrier)) } };
  }
  const action = /^\/carriers\/([^/]+)\/(drain|undrain|disable|enable)$/.exec(url.pathname);
  if (method === 'POST' && (action || url.pathname === '/reload')) {
    const denied = authorise(deps.token, req.headers.authorization);
    if (denied) return denied;
    if (url.pathname === '/reload') {
      const r = deps.config.reload();
      if (r.ok) deps.afterReload?.();
      return r.ok ? { status: 200, body: r } : { status: 400, body: { ok: false, errors: r.errors, message: r.message } };
    }
    const [, rawId, verb] = action!;
    const id = decodeURIComponent(rawId!);
    const to = ACTIONS[verb!]!;
    if (!deps.carriers.setManual(id, to)) return { status: 404, body: { error: `no carrier "${id}"` } };
    const ev: OperatorEvent = { kind: 'operator', at: Date.now(), carrier: id, action: verb!, to, reason: `${verb} by the operator (admin API)` };
    operator.add(ev);
    if (deps.operatorEvents?.share(ev) === false) deps.logger.warn({ carrier: id, action: verb }, 'operator action kept in this process\'s history only: no shared history now');
    deps.logger.warn({ event: 'operator', carrier: id, action: verb }, 'carrier state changed by operator');
    return { status: 200, body: { ok: true, carrier: id, manual: to } };
  }
  for (const ext of deps.extensions ?? []) {
    const r = await ext({ method, url, authorise: () => authorise(deps.token, req.headers.authorization), json: () => readJson(req) });
    if (r) return r;
  }
  return {
    status: 404,
    body: { error: 'not found', see: ['/dashboard/', '/health', '/metrics', '/carriers', '/carriers?view=summary', '/carriers/:id', '/carriers/:id/history', '/history', '/events', 'POST /carriers/:id/drain', 'POST /reload'] },
  };
}

/** Operator actions for /events: the site's shared ones when there is a shared history, else this process's. */
async function operatorEvents(deps: AdminDeps, local: OperatorLog, carrier: string | undefined): Promise<OperatorEvent[]> {
  const shared = await deps.operatorEvents?.read();
  if (!shared) return local.all(carrier);
  return shared.map(asOperatorEvent).filter((e): e is OperatorEvent => e !== undefined && (carrier === undefined || e.carrier === carrier));
}

function authorise(token: string | undefined, header: string | undefined): Reply | undefined {
  if (!token) return { status: 403, body: { error: 'state-changing admin requests are disabled: set TRUNKWISE_ADMIN_TOKEN' } };
  const given = Buffer.from((header ?? '').replace(/^Bearer\s+/i, ''));
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { status: 401, body: { error: 'missing or wrong bearer token' } };
  return undefined;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => void (text.length < 65_536 && (text += d.toString())));
    req.on('end', () => {
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text));
      } catch (err) {
        resolve(err as Error);
      }
    });
  });
}

function send(res: http.ServerResponse, r: Reply): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
  res.writeHead(r.status, { 'content-type': r.type ?? 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}
