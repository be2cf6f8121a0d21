/**
 * trunkwise itself (src/main.ts) as a child process for end-to-end tests, with its pino output read
 * back as JSON lines (CDRs, crankbacks, reload errors) and its admin API on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startSippServer, type SippServer } from './sipp';

export interface LogLine {
  msg?: string;
  level?: number;
  [k: string]: unknown;
}

export interface Trunkwise {
  sipPort: number;
  httpPort: number;
  carriersFile: string;
  routesDir: string;
  logs: LogLine[];
  /** The child's PID (to kill it hard: a crashed edge or worker). */
  pid: number;
  admin(method: string, p: string, token?: string): Promise<{ status: number; body: unknown }>;
  /** Send a signal to the process (e.g. SIGHUP: reload); false once it has exited. */
  signal(sig: NodeJS.Signals): boolean;
  /** Whether the process is still running. */
  running(): boolean;
  /** Its exit code once it has exited (null while running, or when a signal ended it). */
  exitCode(): number | null;
  stop(): Promise<void>;
}

export interface CarrierSpec {
  id: string;
  port: number;
  weight: number;
  /** YAML flow map for probe:, e.g. `{ enabled: true, intervalMs: 1000, burst: 3 }`; default probing off. */
  probe?: string;
  /** Calls up at once across every edge (carriers.yaml maxConcurrent); default no cap. */
  maxConcurrent?: number;
  /** YAML flow map for mediaProbe: (synthetic media probes), e.g. `{ testNumber: "15550199", intervalMs: 5000 }`; default none. */
  mediaProbe?: string;
}

/** carriers.yaml for `carriers`; `health` is YAML for the health: block's body (indented two spaces). */
export function carriersYaml(carriers: CarrierSpec[], health?: string): string {
  const h = health ? `health:\n${health}\n` : '';
  return `${h}carriers:\n${carriers.map((c) => `  - id: ${c.id}\n    uri: sip:127.0.0.1:${c.port};transport=udp\n    weight: ${c.weight}\n    probe: ${c.probe ?? '{ enabled: false }'}\n${c.maxConcurrent ? `    maxConcurrent: ${c.maxConcurrent}\n` : ''}${c.mediaProbe ? `    mediaProbe: ${c.mediaProbe}\n` : ''}`).join('')}`;
}

export async function startTrunkwise(opts: {
  carriers: CarrierSpec[]; routes: Record<string, string>; health?: string; args?: string[]; env?: Record<string, string>;
}): Promise<Trunkwise> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-e2e-'));
  const carriersFile = path.join(dir, 'carriers.yaml');
  const routesDir = path.join(dir, 'routes');
  mkdirSync(routesDir);
  writeFileSync(carriersFile, carriersYaml(opts.carriers, opts.health));
  for (const [name, text] of Object.entries(opts.routes)) writeFileSync(path.join(routesDir, name), text);
  const [sipPort, httpPort] = await freePorts(2);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'main.ts'),
    '--carriers', carriersFile, '--routes', routesDir, '--sip', `127.0.0.1:${sipPort}`, '--http', `127.0.0.1:${httpPort}`, ...(opts.args ?? [])],
  { env: { ...process.env, TRUNKWISE_ADMIN_TOKEN: 'test-token', LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const j = JSON.parse(line) as LogLine;
          logs.push(j);
          if (j.msg === 'trunkwise ready') resolve();
        } catch {
          /* not JSON: ignore */
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`trunkwise exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`trunkwise not ready in 30 s: ${stderr}`)), 30_000).unref();
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  /**
   * Idempotent: a second call (or one after the process died by a signal) resolves at once; the work dir goes with it.
   * SIGTERM drains; calls still up after 2.5 s are ended by a second SIGTERM (BYE both legs), so trunkwise
   * exits by itself and writes its V8 coverage (NODE_V8_COVERAGE) — a SIGKILL, the last resort, loses it.
   */
  const stop = (): Promise<void> => new Promise<void>((resolve) => {
    if (exited()) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => !exited() && child.kill('SIGTERM'), 2500).unref();
    setTimeout(() => !exited() && child.kill('SIGKILL'), 8000).unref();
  }).then(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await ready;
  } catch (err) {
    await stop(); // never leave a half-started trunkwise or its folder behind
    throw err;
  }
  return {
    sipPort: sipPort!, httpPort: httpPort!, carriersFile, routesDir, logs, pid: child.pid!,
    admin: async (method, p, token) => {
      const r = await fetch(`http://127.0.0.1:${httpPort}${p}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
      const text = await r.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* text body (metrics) */
      }
      return { status: r.status, body };
    },
    signal: (sig) => !exited() && child.kill(sig),
    running: () => !exited(),
    exitCode: () => child.exitCode,
    stop,
  };
}

/** CDR records written so far. */
export function cdrs(logs: LogLine[]): Array<{ outcome: string; finalStatus?: number; setupMs?: number; attempts: Array<{ carrier: string; outcome: string; status?: number; finalMs?: number }> }> {
  return logs.filter((l) => l.msg === 'cdr').map((l) => l.cdr as ReturnType<typeof cdrs>[number]);
}

/** Five carriers, one health-weighted default route: 3 attempts, 1 s to the first provisional. */
export const FIVE_CARRIER_IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'];
const FIVE_CARRIER_ROUTE = `routes:
  - id: default
    default: true
    carriers: [${FIVE_CARRIER_IDS.map((id) => `{ id: ${id} }`).join(', ')}]
    strategy: health-weighted
    maxAttempts: 3
    timers: { attemptNoProvisionalMs: 1000, attemptNoAnswerMs: 30000, setupDeadlineMs: 15000 }
`;

/**
 * trunkwise in front of five SIPp carriers (equal weights) all running `carrierScenario`; teardown
 * stops trunkwise, then the carriers. `servers` are returned so a test can stop them and read their counts.
 */
export async function startWithFiveSippCarriers(t: { teardown(fn: () => Promise<void>): void }, carrierScenario: string, env?: Record<string, string>): Promise<{ tw: Trunkwise; servers: SippServer[] }> {
  const ports = await freePorts(5);
  const servers: SippServer[] = [];
  for (const p of ports) servers.push(await startSippServer({ scenario: carrierScenario, localPort: p, timeoutMs: 120_000 }));
  const specs: CarrierSpec[] = FIVE_CARRIER_IDS.map((id, i) => ({ id, port: ports[i]!, weight: 20 }));
  const tw = await startTrunkwise({ carriers: specs, routes: { '99-default.yaml': FIVE_CARRIER_ROUTE }, ...(env && { env }) });
  t.teardown(async () => {
    await tw.stop();
    for (const s of servers) await s.stop().catch(() => undefined);
  });
  return { tw, servers };
}
