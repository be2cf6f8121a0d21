/**
 * The engine as a drop-in for drachtio-server: started as its own process with drachtio-server's
 * command line (-f drachtio.conf.xml) and DRACHTIO_* environment; the file's admin, contacts, spammers,
 * OPTIONS auto-respond and cdrs settings take effect, and an unchanged srf app carries calls through it.
 * This suite checks trunkwise-engine itself, so it is skipped in parity mode (DRACHTIO_HOST set).
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { runSipp, startSippServer, freePorts, killAll } from '../helpers/sipp';
import { startMinimalB2bua } from '../apps/minimal-b2bua';
import { connectSrf } from '../../src/app/srf-connect';

let child: ChildProcess;
let confDir: string | undefined;
let sipPort: number;
let adminPort: number;

if (process.env.DRACHTIO_HOST) {
  t.plan(0, 'skipped in parity mode: this suite starts and checks trunkwise-engine itself, not the external server');
}

/** Start the CLI; resolves with the JSON log lines seen until it reports "started" (or rejects when it exits). */
function startCli(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; logs: Array<Record<string, unknown>> }> {
  const c = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'engine', 'cli.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env },
  });
  const logs: Array<Record<string, unknown>> = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('engine did not start')), 20_000);
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          continue;
        }
        if (logs[logs.length - 1]!.msg === 'trunkwise engine started') {
          clearTimeout(timer);
          resolve({ child: c, logs });
        }
      }
    });
    c.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited ${code}`));
    });
  });
}

t.before(async () => {
  if (process.env.DRACHTIO_HOST) return;
  [sipPort, adminPort] = (await freePorts(2)) as [number, number];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-cli-'));
  confDir = dir;
  const conf = path.join(dir, 'drachtio.conf.xml');
  writeFileSync(conf, `<drachtio>
  <admin port="${adminPort}" secret="cymru">127.0.0.1</admin>
  <sip>
    <contacts><contact>sip:127.0.0.1:${sipPort};transport=udp,tcp</contact></contacts>
    <spammers action="reject" tcp-action="discard">
      <header name="User-Agent"><value>friendly-scanner</value></header>
    </spammers>
    <user-agent-options-auto-respond>HealthCheck</user-agent-options-auto-respond>
  </sip>
  <cdrs>true</cdrs>
</drachtio>`);
  child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'engine', 'cli.ts'), '-f', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The 20 s start limit is cleared once the engine is up: left pending, it kept this test process
  // alive ~17 s after its last test.
  let limit: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('trunkwise engine started') && resolve());
    child.on('exit', (c) => reject(new Error(`engine exited ${c}`)));
    limit = setTimeout(() => reject(new Error('engine did not start')), 20_000);
  }).finally(() => clearTimeout(limit));
});

t.teardown(() => {
  killAll();
  child?.kill('SIGTERM');
  if (confDir) rmSync(confDir, { recursive: true, force: true }); // its drachtio.conf.xml: one folder left in /tmp per run before
});

t.test('DRACHTIO_* environment as drachtio-server reads it; a ws contact is refused in the log, not fatal', async (t) => {
  const [sip2, admin2] = (await freePorts(2)) as [number, number];
  const { child: c, logs } = await startCli(['--contact', `sip:127.0.0.1:${sip2};transport=udp,tcp,ws`], {
    DRACHTIO_SECRET: 'env-secret', DRACHTIO_ADMIN_TCP_PORT: String(admin2), DRACHTIO_ADMIN_ADDRESS: '127.0.0.1', DRACHTIO_LOGLEVEL: 'info',
  });
  try {
    const refused = logs.find((l) => l.msg === 'contact refused');
    t.ok(refused, 'the ws transport is reported as refused');
    t.match(String(refused?.reason), /ws is not supported/);
    await t.rejects(connectSrf(new Srf(), { host: '127.0.0.1', port: admin2, secret: 'admin' }), 'the default secret no longer works');
    const srf = new Srf();
    const hp = await connectSrf(srf, { host: '127.0.0.1', port: admin2, secret: 'env-secret' });
    t.equal(hp, `udp/127.0.0.1:${sip2},tcp/127.0.0.1:${sip2}`, 'DRACHTIO_SECRET authenticates; udp and tcp of the contact listen');
    srf.disconnect();
    t.notOk(JSON.stringify(logs).includes('env-secret'), 'the secret never appears in the log');
  } finally {
    c.kill('SIGTERM');
  }
});

function options(ua: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      const msg = `OPTIONS sip:ping@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${Math.random()}\r\nFrom: <sip:hc@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${Math.random()}\r\nCSeq: 1 OPTIONS\r\nUser-Agent: ${ua}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      s.on('message', (m) => {
        s.close();
        resolve(m.toString().split('\r\n')[0]);
      });
      s.send(msg, sipPort, '127.0.0.1');
      setTimeout(() => {
        try { s.close(); } catch { /* closed */ }
        resolve(undefined);
      }, 700);
    });
  });
}

t.test('the wrong secret is refused, the configured one accepted', async (t) => {
  await t.rejects(connectSrf(new Srf(), { host: '127.0.0.1', port: adminPort, secret: 'nope' }));
  const srf = new Srf();
  const hp = await connectSrf(srf, { host: '127.0.0.1', port: adminPort, secret: 'cymru' });
  t.equal(hp, `udp/127.0.0.1:${sipPort},tcp/127.0.0.1:${sipPort}`);
  srf.disconnect();
});

t.test('no app routed: OPTIONS from the auto-respond User-Agent gets 200, others 503; spammers get 603', async (t) => {
  t.equal(await options('HealthCheck/1.0'), 'SIP/2.0 200 OK');
  t.equal(await options('other'), 'SIP/2.0 503 Service Unavailable');
  t.equal(await options('friendly-scanner'), 'SIP/2.0 603 Decline');
});

t.test('an unchanged srf B2BUA carries calls, and cdr events reach an app that asked for them', async (t) => {
  const [uasPort] = await freePorts(1);
  const uas = await startSippServer({ scenario: path.join(__dirname, '..', 'scenarios', 'uas-carrier-answer.xml'), localPort: uasPort!, timeoutMs: 60_000 });
  const app = await startMinimalB2bua({ host: '127.0.0.1', port: adminPort, secret: 'cymru', target: `sip:127.0.0.1:${uasPort}` });
  const cdr = new Srf();
  const seen: string[] = [];
  (cdr as unknown as { on(e: string, f: (...a: unknown[]) => void): void }).on('cdr:start', (source: unknown, _time: unknown, role: unknown) => seen.push(`${String(source)}/${String(role)}`));
  await connectSrf(cdr, { host: '127.0.0.1', port: adminPort, secret: 'cymru' });
  try {
    const r = await runSipp({ scenario: path.join(__dirname, '..', 'scenarios', 'uac-basic-call.xml'), remote: `127.0.0.1:${sipPort}`, calls: 10, rate: 10, duration: 100, timeoutMs: 30_000 });
    t.equal(r.successful, 10);
    t.equal(r.failed, 0);
    t.ok(seen.includes('application/uas') && seen.includes('network/uac'), `cdr:start events: ${[...new Set(seen)].join(', ')}`);
  } finally {
    cdr.disconnect();
    app.stop();
    await uas.stop();
  }
});
