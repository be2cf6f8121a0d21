/**
 * The SIP server the integration tests run against: the embedded engine started in-process on free
 * loopback ports, or — when DRACHTIO_HOST / DRACHTIO_PORT / DRACHTIO_SECRET are set — a real
 * drachtio-server, so the same suite checks parity. Its SIP address is read from what the server
 * reports at authentication, so the tests never hard-code it.
 */
import { SipEngine, type EngineOptions } from '../../src/engine';
import { freePorts } from './sipp';

export interface EngineUnderTest {
  wire: { host: string; port: number; secret: string };
  sip: { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  embedded: SipEngine | undefined;
  stop(): Promise<void>;
}

/** Set when the suite runs against an external drachtio-server (parity mode). */
export const EXTERNAL_ENGINE = process.env.DRACHTIO_HOST;

/**
 * tap `skip` value for a test that needs the embedded engine (its timers, its counters): false when
 * embedded, else the reason, so parity runs say what they skipped and why.
 */
export function embeddedOnly(why: string): string | false {
  return EXTERNAL_ENGINE ? `needs the embedded engine: ${why}` : false;
}

export interface EmbeddedOptions {
  timers?: EngineOptions['timers'];
  behaviour?: EngineOptions['behaviour'];
}

export async function startEngineUnderTest(opts: EmbeddedOptions = {}): Promise<EngineUnderTest> {
  const host = EXTERNAL_ENGINE;
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
    ...(opts.timers ? { timers: opts.timers } : {}),
    ...(opts.behaviour ? { behaviour: opts.behaviour } : {}),
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

export interface EngineCounts { dialogs: number; serverTransactions: number; clientTransactions: number }

/**
 * Poll the embedded engine until it holds no dialog and no transaction, or `withinMs` passes; returns
 * the last counts (callers assert them, with the dialog summaries for the failure message).
 */
export async function waitForEngineIdle(engine: SipEngine, withinMs: number): Promise<EngineCounts> {
  const until = Date.now() + withinMs;
  for (;;) {
    const s = engine.stats();
    const counts = { dialogs: s.dialogs, serverTransactions: s.serverTransactions, clientTransactions: s.clientTransactions };
    if ((counts.dialogs === 0 && counts.serverTransactions === 0 && counts.clientTransactions === 0) || Date.now() >= until) return counts;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Asserter {
  same(found: unknown, wanted: unknown, message: string): unknown;
  comment(message: string): unknown;
}

/**
 * Assert the engine under test holds no dialog (and, unless dialogsOnly, no transaction) within
 * `withinMs`. An external engine has no counters to read: the test says so instead of passing silently.
 */
export async function assertEngineIdle(t: Asserter, e: EngineUnderTest, withinMs: number, what: string, dialogsOnly = false): Promise<void> {
  if (!e.embedded) {
    t.comment(`${what}: engine counters not checked (external engine)`);
    return;
  }
  const engine = e.embedded;
  if (dialogsOnly) {
    const until = Date.now() + withinMs;
    while (engine.stats().dialogs > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    t.same(engine.stats().dialogs, 0, `${what}: no dialog left ${JSON.stringify(engine.dialogSummaries())}`);
    return;
  }
  const counts = await waitForEngineIdle(engine, withinMs);
  t.same(counts, { dialogs: 0, serverTransactions: 0, clientTransactions: 0 }, `${what}: no dialog or transaction left ${JSON.stringify(engine.dialogSummaries())}`);
}
