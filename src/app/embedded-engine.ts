/**
 * The wire address the app (or the workers) connect drachtio-srf to: an external drachtio-server
 * as configured, or the embedded engine started here on the SIP address — on the app's event loop
 * (default) or on a thread of its own (--engine-thread on, src/engine/thread). Admission before
 * cost: only the IVR's CIDRs and the carriers' addresses may send requests; the engine refuses
 * everyone else before a transaction exists. The allowlist is refreshed on every configuration
 * reload. Used by src/main.ts (one process) and src/workers/supervisor.ts (engine + N workers).
 */
import type { Socket } from 'node:net';
import { EngineThread, SipEngine, type EngineGauges, type EngineOptions, type EngineStats } from '../engine';
import type { Logger } from '../observability/logger';
import type { ConfigHolder } from './config-holder';
import type { Secrets, Settings } from './settings';

export interface WireTarget {
  host: string;
  port: number;
  secret: string;
}

/** What the app uses of the embedded engine, wherever it runs (EngineThread is one as it stands). */
export interface EmbeddedEngine {
  start(): Promise<{ wire: { port: number } }>;
  /** Throws AllowlistError on an invalid entry; the old list stays. */
  setAllowlist(allow: readonly string[]): void;
  /** An in-process wire link for connectSrf's `local`. */
  connectLocal(): Socket;
  gauges(): Promise<EngineGauges>;
  stats(): Promise<EngineStats>;
  stop(): Promise<void>;
}

/** Where SIP is handled, for the ready line: a drachtio-server, or the embedded engine on the app's loop or its own thread. */
export function engineMode(settings: Settings): 'external' | 'loop' | 'thread' {
  if (settings.engine !== 'embedded') return 'external';
  return settings.engineThread ? 'thread' : 'loop';
}

export async function startEngineIfEmbedded(settings: Settings, secrets: Secrets, config: ConfigHolder, logger: Logger): Promise<{ engine?: EmbeddedEngine; wire: WireTarget }> {
  const external = { host: settings.drachtio.host, port: settings.drachtio.port, secret: secrets.drachtioSecret };
  const mode = engineMode(settings);
  if (mode === 'external') return { wire: external };
  const admitted = (c: typeof config.config): string[] => [...settings.allow, ...c.carriers.map((x) => x.target.host)];
  const engineLogger = logger.child({ layer: 'engine' });
  const options: Omit<EngineOptions, 'logger'> = {
    sip: [{ protocol: 'udp', address: settings.sip.host, port: settings.sip.port }, { protocol: 'tcp', address: settings.sip.host, port: settings.sip.port }],
    wire: { host: '127.0.0.1', port: 0, secret: secrets.drachtioSecret },
    // trunkwise keeps call state and the media relay in the app: a call cannot outlive its app (worker).
    behaviour: { userAgentOptionsAutoRespond: undefined, endCallsOfGoneApp: true },
    admission: { allow: admitted(config.config), foreign: settings.foreign },
  };
  const engine = mode === 'thread' ? onThread(options, engineLogger) : onLoop(options, engineLogger);
  config.onChange((c) => {
    try {
      engine.setAllowlist(admitted(c));
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'engine allowlist not updated; the previous one stays in force');
    }
  });
  const a = await engine.start();
  return { engine, wire: { host: '127.0.0.1', port: a.wire.port, secret: secrets.drachtioSecret } };
}

function onThread(options: Omit<EngineOptions, 'logger'>, logger: Logger): EmbeddedEngine {
  return new EngineThread({
    ...options, logger, debug: logger.isLevelEnabled('debug'),
    onFatal: (err) => {
      // Every call's SIP state was on that thread: run on without SIP and the edge is a black hole.
      logger.fatal({ err: err.message }, 'the SIP engine thread died: trunkwise exits so that its supervisor restarts it');
      process.exit(1);
    },
  });
}

/** The engine on the app's own event loop: its synchronous readings, as the thread's answers. */
function onLoop(options: Omit<EngineOptions, 'logger'>, logger: Logger): EmbeddedEngine {
  const engine = new SipEngine({ ...options, logger });
  return {
    start: () => engine.start(),
    setAllowlist: (allow) => engine.setAllowlist(allow),
    connectLocal: () => engine.connectLocal(),
    gauges: async () => engine.gauges(),
    stats: async () => engine.stats(),
    stop: () => engine.stop(),
  };
}
