/**
 * What `trunkwise-engine` runs with, resolved the way drachtio-server does it (controller.cpp):
 * built-in defaults < the XML file (-f, else DRACHTIO_CONFIG_FILE_PATH) < DRACHTIO_* environment
 * variables < command-line options. Pure: argv, environment and a file reader in, options out.
 */
import type { EngineOptions } from './core/engine';
import { addContact, parseDrachtioConfig, type RefusedContact } from './drachtio-config';
import type { ListenSpec } from './transport/layer';

export const USAGE = `usage: trunkwise-engine [-f drachtio.conf.xml] [--contact sip:ADDR:PORT;transport=udp,tcp]...
                        [--address ADMIN_ADDR] [-p|--port ADMIN_PORT] [--secret SECRET] [-l|--loglevel LEVEL]
                        [--user-agent-options-auto-respond UA]
environment (overridden by options): DRACHTIO_CONFIG_FILE_PATH, DRACHTIO_SECRET, DRACHTIO_ADMIN_ADDRESS,
  DRACHTIO_ADMIN_TCP_PORT, DRACHTIO_LOGLEVEL, DRACHTIO_USER_AGENT_OPTIONS_AUTO_RESPOND`;

/** Options taking a value that drachtio-server accepts and this engine ignores. */
const IGNORED_WITH_VALUE = new Set(['-u', '--user', '-x', '--external-ip', '-n', '--local-net', '-d', '--dns-name', '-a', '--http-handler',
  '-m', '--http-method', '-s', '--sofia-loglevel', '-y', '--homer', '-z', '--homer-id', '--key-file', '--cert-file', '--chain-file', '--mtu',
  '--dh-param', '--tls-port', '--prometheus-scrape-port', '--tcp-keepalive-interval', '--min-tls-version', '--blacklist-redis-address',
  '--blacklist-redis-port', '--blacklist-redis-key', '--blacklist-refresh-secs', '--blacklist-redis-sentinels', '--blacklist-redis-master',
  '--blacklist-redis-password', '--tls-cipherlist']);

/** DRACHTIO_* variables drachtio-server reads that have no meaning here (TLS, Homer, Redis, Prometheus …). */
const IGNORED_ENV = ['DRACHTIO_ADMIN_TLS_PORT', 'DRACHTIO_AGRESSIVE_NAT_DETECTION', 'DRACHTIO_MEMORY_DEBUG', 'DRACHTIO_TLS_CERT_FILE',
  'DRACHTIO_TLS_CHAIN_FILE', 'DRACHTIO_TLS_KEY_FILE', 'DRACHTIO_TLS_DH_PARAM_FILE', 'DRACHTIO_TLS_VERIFY_CLIENT_CERT', 'DRACHTIO_HOMER_ADDRESS',
  'DRACHTIO_HOMER_PORT', 'DRACHTIO_HOMER_ID', 'DRACHTIO_HTTP_HANDLER_URI', 'DRACHTIO_SOFIA_LOGLEVEL', 'DRACHTIO_UDP_MTU',
  'DRACHTIO_TCP_KEEPALIVE_INTERVAL', 'DRACHTIO_TPORT_QUEUESIZE', 'DRACHTIO_TPORT_MAX_CONSECUTIVE_TIMEOUTS', 'DRACHTIO_CONSOLE_LOGGING',
  'DRACHTIO_PROMETHEUS_SCRAPE_PORT', 'DRACHTIO_MIN_TLS_VERSION', 'DRACHTIO_BLACKLIST_REDIS_ADDRESS', 'DRACHTIO_BLACKLIST_REDIS_SENTINELS',
  'DRACHTIO_BLACKLIST_REDIS_MASTER', 'DRACHTIO_BLACKLIST_REDIS_PASSWORD', 'DRACHTIO_BLACKLIST_REDIS_PORT', 'DRACHTIO_BLACKLIST_REDIS_KEY',
  'DRACHTIO_BLACKLIST_REDIS_REFRESH_SECS', 'DRACHTIO_REJECT_REGISTER_WITH_NO_REALM', 'DRACHTIO_TLS_CIPHER_LIST', 'DRACHTIO_PRESERVE_HEADER_NAMES'];

/** drachtio-server's log levels → pino's. */
const LOGLEVELS: Readonly<Record<string, string>> = { notice: 'info', error: 'error', warning: 'warn', info: 'info', debug: 'debug' };

export type CliAction = { kind: 'run'; options: EngineOptions; loglevel: string; ignored: string[]; refused: RefusedContact[] }
  | { kind: 'version' }
  | { kind: 'help' };

const DEFAULT_XML = '<drachtio><admin port="9022" secret="admin">127.0.0.1</admin></drachtio>';

export function resolveCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string): CliAction {
  const cmd: { file?: string; contacts: string[]; address?: string; port?: number; secret?: string; loglevel?: string; autoRespond?: string } = { contacts: [] };
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '-f': case '--file': cmd.file = next(); break;
      case '-c': case '--contact': cmd.contacts.push(next()); break;
      case '-p': case '--port': cmd.port = adminPort(next(), a); break;
      case '--address': cmd.address = next(); break;
      case '--secret': cmd.secret = next(); break;
      case '-l': case '--loglevel': cmd.loglevel = next(); break;
      case '--user-agent-options-auto-respond': cmd.autoRespond = next(); break;
      case '-v': case '--version': return { kind: 'version' };
      case '-h': case '--help': return { kind: 'help' };
      default:
        if (IGNORED_WITH_VALUE.has(a)) { ignored.push(a); i++; }
        else if (a.startsWith('-')) ignored.push(a);
        else throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    }
  }
  const file = cmd.file ?? env.DRACHTIO_CONFIG_FILE_PATH;
  const cfg = parseDrachtioConfig(file ? readFile(file) : DEFAULT_XML);
  const opts = cfg.options;
  const refused = [...cfg.refused];
  if (cmd.contacts.length) {
    const listen: ListenSpec[] = [];
    for (const c of cmd.contacts) addContact(c, undefined, listen, refused);
    opts.sip = listen;
  }
  const envPort = Number(env.DRACHTIO_ADMIN_TCP_PORT);
  opts.wire = {
    host: cmd.address ?? env.DRACHTIO_ADMIN_ADDRESS ?? opts.wire.host,
    port: cmd.port ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : opts.wire.port),
    secret: cmd.secret ?? env.DRACHTIO_SECRET ?? opts.wire.secret,
  };
  const autoRespond = cmd.autoRespond ?? env.DRACHTIO_USER_AGENT_OPTIONS_AUTO_RESPOND;
  if (autoRespond !== undefined) opts.behaviour = { ...opts.behaviour, userAgentOptionsAutoRespond: autoRespond };
  const level = cmd.loglevel ?? (env.DRACHTIO_LOGLEVEL !== undefined && LOGLEVELS[env.DRACHTIO_LOGLEVEL] ? env.DRACHTIO_LOGLEVEL : undefined) ?? cfg.loglevel;
  for (const k of IGNORED_ENV) if (env[k] !== undefined) ignored.push(`env ${k}`);
  return { kind: 'run', options: opts, loglevel: LOGLEVELS[level] ?? level, ignored: [...cfg.ignored, ...ignored], refused };
}

function adminPort(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${flag} needs a port number, got "${v}"\n${USAGE}`);
  return n;
}
