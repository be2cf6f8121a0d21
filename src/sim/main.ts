/**
 * `npm run sim`: the five carriers of carriers.yaml, simulated on their configured host:port, with
 * the HTTP control API. SIGINT/SIGTERM stop cleanly.
 */
import { createLogger } from '../observability/logger';
import { readCarriersFile } from './carriers-file';
import { parseCliArgs, USAGE } from './cli-args';
import { SimError } from './errors';
import { startSimulator, type Simulator } from './simulator';


async function main(): Promise<number> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.errors.join('\n')}\n${USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = readCarriersFile(o.carriersFile, o.transport);
  if (!file.ok) {
    process.stderr.write(`${file.errors.join('\n')}\n`);
    return 2;
  }
  const logger = createLogger({ level: o.logLevel }).child({ component: 'sim' });
  let sim: Simulator;
  try {
    sim = await startSimulator({ carriers: file.carriers, http: o.http, logger, ...(o.seed !== undefined && { seed: o.seed }), ...(o.rtpPorts && { rtp: { ports: o.rtpPorts } }) });
  } catch (err) {
    logger.fatal({ err }, 'simulator did not start');
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  try {
    for (const s of o.sets) sim.set(s.id, s.patch);
  } catch (err) {
    await sim.stop();
    process.stderr.write(`${err instanceof SimError ? err.message : String(err)}\n`);
    return 2;
  }
  logger.info({ carriers: sim.list().map((c) => ({ id: c.id, port: c.port, behaviour: c.behaviour })), http: sim.http }, 'simulator ready');
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void sim.stop().then(() => resolve(0));
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

void main().then((code) => {
  process.exitCode = code;
  // Let pino's async destination flush, then leave even if a socket lingers.
  setTimeout(() => process.exit(code), 100).unref();
});
