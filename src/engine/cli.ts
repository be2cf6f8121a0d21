#!/usr/bin/env node
/**
 * `trunkwise-engine`: the embedded engine as its own process, accepting drachtio-server's command line
 * (`-f <config.xml>`, `--contact`, `--port`, `--address`, `--secret`, `--loglevel`) and its DRACHTIO_*
 * environment variables with the same precedence (cli-options.ts), so existing drachtio deployments
 * and their tooling can start it in place of drachtio-server.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { SipEngine, ENGINE_VERSION } from './core/engine';
import { resolveCli, USAGE } from './cli-options';

function main(argv: string[]): void {
  const action = resolveCli(argv, process.env, (p) => readFileSync(p, 'utf8'));
  if (action.kind === 'version') return void process.stdout.write(`${ENGINE_VERSION}\n`);
  if (action.kind === 'help') return void process.stdout.write(`${USAGE}\n`);
  const { options, loglevel, ignored, refused } = action;
  const logger = pino({ level: loglevel, redact: ['secret', 'wire.secret'] });
  options.logger = logger;
  // Nothing may take the process down silently: log what escaped, keep serving on a stray rejection.
  process.on('unhandledRejection', (err) => logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'unhandledRejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err: err.stack }, 'uncaughtException');
    process.exit(1);
  });
  for (const x of ignored) logger.warn({ setting: x }, 'drachtio setting not supported by the trunkwise engine; ignored');
  for (const r of refused) logger.warn({ contact: r.contact, reason: r.reason }, 'contact refused');
  if (options.sip.length === 0) logger.error('no SIP contact left to listen on: the engine runs without a SIP listener');
  const engine = new SipEngine(options);
  engine.start().then((a) => {
    logger.info({ wire: a.wire, sip: a.sip, version: ENGINE_VERSION }, 'trunkwise engine started');
  }, (err: Error) => {
    logger.fatal({ err: err.message }, 'engine failed to start');
    process.exit(1);
  });
  const stop = (): void => {
    logger.info('stopping');
    engine.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
