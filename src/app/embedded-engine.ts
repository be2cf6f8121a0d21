/**
 * The wire address the app (or the workers) connect drachtio-srf to: an external drachtio-server
 * as configured, or the embedded engine started here on the SIP address. Admission before cost:
 * only the IVR's CIDRs and the carriers' addresses may send requests; the engine refuses everyone
 * else before a transaction exists. The allowlist is refreshed on every configuration reload.
 * Used by src/main.ts (one process) and src/workers/supervisor.ts (engine + N workers).
 */
import { SipEngine } from '../engine';
import type { Logger } from '../observability/logger';
import type { ConfigHolder } from './config-holder';
import type { Secrets, Settings } from './settings';

export interface WireTarget {
  host: string;
  port: number;
  secret: string;
}

export async function startEngineIfEmbedded(settings: Settings, secrets: Secrets, config: ConfigHolder, logger: Logger): Promise<{ engine?: SipEngine; wire: WireTarget }> {
  const external = { host: settings.drachtio.host, port: settings.drachtio.port, secret: secrets.drachtioSecret };
  if (settings.engine !== 'embedded') return { wire: external };
  const admitted = (c: typeof config.config): string[] => [...settings.allow, ...c.carriers.map((x) => x.target.host)];
  const engine = new SipEngine({
    sip: [{ protocol: 'udp', address: settings.sip.host, port: settings.sip.port }, { protocol: 'tcp', address: settings.sip.host, port: settings.sip.port }],
    wire: { host: '127.0.0.1', port: 0, secret: secrets.drachtioSecret },
    logger: logger.child({ layer: 'engine' }),
    // trunkwise keeps call state and the media relay in the app: a call cannot outlive its app (worker).
    behaviour: { userAgentOptionsAutoRespond: undefined, endCallsOfGoneApp: true },
    admission: { allow: admitted(config.config), foreign: settings.foreign },
  });
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
