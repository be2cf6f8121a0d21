/**
 * The control API (node:http, JSON): GET /health, GET /carriers, GET /carriers/:id,
 * PATCH /carriers/:id (behaviour patch), POST /reset, POST /carriers/:id/reset.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SimError } from './errors';
import type { Simulator } from './simulator';

export interface ControlApi {
  address: { host: string; port: number };
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function startControlApi(sim: Simulator, listen: { host: string; port: number }, logger: Logger): Promise<ControlApi> {
  const log = logger.child({ api: 'control' });
  const server = http.createServer((req, res) => {
    void route(sim, req).then(
      (r) => send(res, r.status, r.body),
      (err: unknown) => {
        if (err instanceof SimError) send(res, err.httpStatus, { error: err.message, code: err.code, details: err.details });
        else {
          log.error({ err }, 'control API request failed');
          send(res, 500, { error: 'internal error' });
        }
      },
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: listen.host, port }, 'control API listening');
  return {
    address: { host: listen.host, port },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

interface Reply { status: number; body: unknown }

async function route(sim: Simulator, req: http.IncomingMessage): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (path === '/health') return only(method, 'GET', () => ({ status: 200, body: { status: 'ok', carriers: sim.ids.length } }));
  if (path === '/reset') return only(method, 'POST', () => (sim.resetStats(), { status: 200, body: { reset: sim.ids } }));
  if (path === '/carriers') return only(method, 'GET', () => ({ status: 200, body: sim.list() }));
  if (parts[0] === 'carriers' && parts.length === 2) {
    const id = parts[1]!;
    if (method === 'GET') return { status: 200, body: sim.get(id) };
    if (method === 'PATCH') {
      const patch = await readJson(req);
      sim.set(id, patch);
      return { status: 200, body: sim.get(id) };
    }
    return { status: 405, body: { error: `${method} not allowed on ${path} (GET, PATCH)` } };
  }
  if (parts[0] === 'carriers' && parts.length === 3 && parts[2] === 'reset') {
    return only(method, 'POST', () => (sim.resetStats(parts[1]!), { status: 200, body: sim.get(parts[1]!) }));
  }
  return { status: 404, body: { error: `no route for ${method} ${path}` } };
}

function only(method: string, allowed: string, fn: () => Reply): Reply {
  return method === allowed ? fn() : { status: 405, body: { error: `use ${allowed}` } };
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new SimError('SIM_BODY_TOO_LARGE', `body exceeds ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch (err) {
        reject(new SimError('SIM_BAD_JSON', `body is not JSON: ${(err as Error).message}`));
      }
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
