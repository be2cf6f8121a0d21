/**
 * The SIP server the integration tests run against: the embedded engine started in-process on free
 * loopback ports, or — when DRACHTIO_HOST / DRACHTIO_PORT / DRACHTIO_SECRET are set — a real
 * drachtio-server, so the same suite checks parity. Its SIP address is read from what the server
 * reports at authentication, so the tests never hard-code it.
 */
import { SipEngine } from '../../src/engine';
import { freePorts } from './sipp';

export interface EngineUnderTest {
  wire: { host: string; port: number; secret: string };
  sip: { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  embedded: SipEngine | undefined;
  stop(): Promise<void>;
}

export async function startEngineUnderTest(): Promise<EngineUnderTest> {
  const host = process.env.DRACHTIO_HOST;
  if (host) {
    return {
      wire: { host, port: Number(process.env.DRACHTIO_PORT ?? 9022), secret: process.env.DRACHTIO_SECRET ?? 'cymru' },
      sip: {},
      embedded: undefined,
      stop: async () => undefined,
    };
  }
  const [sipPort, wirePort] = await freePorts(2);
  const engine = new SipEngine({
    sip: [{ protocol: 'udp', address: '127.0.0.1', port: sipPort! }, { protocol: 'tcp', address: '127.0.0.1', port: sipPort! }],
    wire: { host: '127.0.0.1', port: wirePort!, secret: 'test-secret' },
  });
  const a = await engine.start();
  return {
    wire: { host: '127.0.0.1', port: a.wire.port, secret: 'test-secret' },
    sip: {},
    embedded: engine,
    stop: () => engine.stop(),
  };
}

/** `udp/127.0.0.1:5060,tcp/127.0.0.1:5060` (srf's connect hostport) → addresses per protocol. */
export function parseHostports(hostports: string): EngineUnderTest['sip'] {
  const out: EngineUnderTest['sip'] = {};
  for (const hp of hostports.split(',')) {
    const m = /^(udp|tcp)\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hp.trim());
    if (m) out[m[1] as 'udp' | 'tcp'] = { address: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  }
  return out;
}
