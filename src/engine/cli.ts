#!/usr/bin/env node
/**
 * `trunkwise-engine`: the embedded engine as its own process, accepting drachtio-server's command line
 * (`-f <config.xml>`, `--contact`, `--port`, `--address`, `--secret`, `--loglevel`) so existing
 * drachtio deployments and their tooling can start it in place of drachtio-server.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { SipEngine, ENGINE_VERSION } from './core/engine';
import { parseContact, parseDrachtioConfig, type DrachtioConfig } from './drachtio-config';

const USAGE = `usage: trunkwise-engine [-f drachtio.conf.xml] [--contact sip:ADDR:PORT;transport=udp,tcp]...
                        [--address ADMIN_ADDR] [-p|--port ADMIN_PORT] [--secret SECRET] [-l|--loglevel LEVEL]`;

/** Options taking a value that drachtio-server accepts and this engine ignores. */
const IGNORED_WITH_VALUE = new Set(['-u', '--user', '-x', '--external-ip', '-n', '--local-net', '-d', '--dns-name', '-a', '--http-handler',
  '-m', '--http-method', '-s', '--sofia-loglevel', '-y', '--homer', '-z', '--homer-id', '--key-file', '--cert-file', '--chain-file', '--mtu',
  '--dh-param', '--tls-port', '--prometheus-scrape-port', '--tcp-keepalive-interval', '--min-tls-version', '--blacklist-redis-address',
  '--blacklist-redis-port', '--blacklist-redis-key', '--blacklist-refresh-secs', '--blacklist-redis-sentinels', '--blacklist-redis-master',
  '--blacklist-redis-password', '--tls-cipherlist']);

function main(argv: string[]): void {
  let cfg: DrachtioConfig = parseDrachtioConfig('<drachtio><admin port="9022" secret="admin">127.0.0.1</admin></drachtio>');
  const contacts: string[] = [];
  const overrides: { address?: string; port?: number; secret?: string; loglevel?: string } = {};
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '-f': case '--file': cfg = parseDrachtioConfig(readFileSync(next(), 'utf8')); break;
      case '-c': case '--contact': contacts.push(next()); break;
      case '-p': case '--port': overrides.port = Number(next()); break;
      case '--address': overrides.address = next(); break;
      case '--secret': overrides.secret = next(); break;
      case '-l': case '--loglevel': overrides.loglevel = next(); break;
      case '-v': case '--version': process.stdout.write(`${ENGINE_VERSION}\n`); return;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); return;
      default:
        if (IGNORED_WITH_VALUE.has(a)) { ignored.push(a); i++; }
        else if (a.startsWith('-')) ignored.push(a);
        else throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    }
  }
  const opts = cfg.options;
  if (contacts.length) opts.sip = contacts.flatMap((c) => parseContact(c));
  opts.wire = { host: overrides.address ?? opts.wire.host, port: overrides.port ?? opts.wire.port, secret: overrides.secret ?? opts.wire.secret };
  const logger = pino({ level: overrides.loglevel ?? cfg.loglevel, redact: ['secret', 'wire.secret'] });
  opts.logger = logger;
  for (const x of [...cfg.ignored, ...ignored]) logger.warn({ setting: x }, 'drachtio setting not supported by the trunkwise engine; ignored');
  const engine = new SipEngine(opts);
  engine.start().then((a) => {
    logger.info({ wire: a.wire, sip: a.sip, version: ENGINE_VERSION }, 'trunkwise engine started');
  }, (err: Error) => {
    logger.fatal({ err: err.message }, 'engine failed to start');
    process.exit(1);
  });
  const stop = (): void => {
    logger.info('stopping');
    void engine.stop().then(() => process.exit(0));
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
