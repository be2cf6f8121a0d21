/** How a worker process is started (src/workers/worker-args.ts) and the settings --workers needs. */
import t from 'tap';
import { loadSettings } from '../../src/app/settings';
import { rtpSlice, workerArgv, workerEnv, workerHttp, WORKER_INDEX_ENV, type WorkerPlan } from '../../src/workers/worker-args';

t.test('--workers / TRUNKWISE_WORKERS and --cap-lease-ms: defaults, precedence, refusals', async (t) => {
  t.equal(loadSettings([], {}).settings.workers, 1);
  t.equal(loadSettings([], {}).settings.capLeaseMs, 15_000);
  t.equal(loadSettings([], { TRUNKWISE_WORKERS: '3' }).settings.workers, 3);
  t.equal(loadSettings(['--workers', '2'], { TRUNKWISE_WORKERS: '3' }).settings.workers, 2);
  t.equal(loadSettings(['--cap-lease-ms=3000'], {}).settings.capLeaseMs, 3000);
  for (const bad of ['0', '1.5', 'two', '65']) t.throws(() => loadSettings(['--workers', bad], {}), /TRUNKWISE_WORKERS/, `--workers ${bad} refused`);
  for (const bad of ['999', '1e9', 'x']) t.throws(() => loadSettings(['--cap-lease-ms', bad], {}), /TRUNKWISE_CAP_LEASE_MS/, `--cap-lease-ms ${bad} refused`);
});

t.test('RTP port range split into even-aligned, disjoint slices covering the range', async (t) => {
  const r = { min: 40000, max: 49999 };
  const s = [0, 1, 2].map((i) => rtpSlice(r, i, 3));
  t.same(s[0], { min: 40000, max: 43331 });
  t.same(s[1], { min: 43332, max: 46663 });
  t.same(s[2], { min: 46664, max: 49999 });
  for (const x of s) t.equal(x.min % 2, 0, `slice ${x.min}-${x.max} starts even`);
  t.throws(() => rtpSlice({ min: 40000, max: 40005 }, 0, 2), /too small for 2 workers/);
});

t.test('a worker is the same command line with overrides last (the settings parser takes the last value)', async (t) => {
  const plan: WorkerPlan = {
    index: 1, count: 2, argv: ['--sip', '127.0.0.1:5060', '--http', '127.0.0.1:8080', '--workers', '2'],
    http: workerHttp({ host: '127.0.0.1', port: 8080 }, 1), redisUrl: 'redis://127.0.0.1:7000/0',
    rtpPorts: { min: 45000, max: 49999 }, wire: { host: '127.0.0.1', port: 9123, secret: 'sekrit' },
  };
  const argv = workerArgv(plan);
  const env = workerEnv({ PATH: '/bin', DRACHTIO_SECRET: 'other' }, plan);
  const { settings, secrets } = loadSettings(argv, env);
  t.equal(settings.workers, 1, 'the worker is one process');
  t.equal(settings.engine, 'external', 'it connects to the supervisor\'s engine');
  t.same(settings.drachtio, { host: '127.0.0.1', port: 9123 });
  t.equal(secrets.drachtioSecret, 'sekrit', 'with the engine\'s secret (in the environment, never on the command line)');
  t.notOk(argv.includes('sekrit'), 'the secret is not on the command line');
  t.same(settings.http, { host: '127.0.0.1', port: 8081 }, 'admin API on --http port + index');
  t.equal(settings.redis, 'redis://127.0.0.1:7000/0');
  t.same(settings.media.portRange, { min: 45000, max: 49999 });
  t.same(settings.sip, { host: '127.0.0.1', port: 5060 }, 'everything else as given');
  t.equal(env[WORKER_INDEX_ENV], '1');
  t.same(workerHttp({ host: '::1', port: 8080 }, 0), { host: '::1', port: 8080 });
  t.same(loadSettings(workerArgv({ ...plan, http: { host: '::1', port: 8082 } }), env).settings.http, { host: '::1', port: 8082 }, 'IPv6 admin address bracketed');
  t.throws(() => workerHttp({ host: '127.0.0.1', port: 65535 }, 1), /above 65535/);
});
