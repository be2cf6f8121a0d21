#!/usr/bin/env node
/**
 * `trunkwise-healthcheck [HOST:PORT]`: exit 0 when trunkwise's admin API answers `GET /health` with
 * status ok, 1 otherwise — for the image's HEALTHCHECK and host monitoring. The address is the one
 * trunkwise itself listens on (`--http` / TRUNKWISE_HTTP, same default), so the check follows the
 * setting instead of repeating it; a wildcard bind address is checked on loopback. No shell, no
 * curl: the image has neither to spare.
 */
import { parseHostPort } from '../app/settings';

const TIMEOUT_MS = 3000;

async function check(argv: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const given = argv[0] ?? env.TRUNKWISE_HTTP ?? '127.0.0.1:8080';
  const { host, port } = parseHostPort(given, 'trunkwise-healthcheck address');
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const res = await fetch(`http://${target}:${port}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = (await res.json().catch(() => ({}))) as { status?: unknown };
  if (res.status !== 200 || body.status !== 'ok') return `http://${target}:${port}/health answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
  return undefined;
}

check(process.argv.slice(2), process.env).then((problem) => {
  if (problem) process.stderr.write(`unhealthy: ${problem}\n`);
  process.exit(problem ? 1 : 0);
}, (err: Error) => {
  process.stderr.write(`unhealthy: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}\n`);
  process.exit(1);
});
