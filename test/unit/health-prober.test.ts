/**
 * Issue 9: a probe whose timeout fires late — the edge's own event loop was stalled — is not called
 * lost before the answer queued behind the stall has been read.
 */
import t from 'tap';
import { Prober, type ProbeTransport, type SentProbe } from '../../src/health/prober';
import { PROBE_DEFAULTS } from '../../src/config/carriers';
import { createLogger } from '../../src/observability/logger';
import type { ProbeResult } from '../../src/health/types';

const busy = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* the edge stalled */
  }
};

/** One probe round against a carrier whose answer is due `answerMs` after the OPTIONS; the loop stalls `stallMs` right after sending. */
function probeOnce(answerMs: number, stallMs: number): Promise<ProbeResult[]> {
  return new Promise((resolve) => {
    const results: ProbeResult[] = [];
    const alive = setInterval(() => undefined, 1000); // the prober's timers are unref'd
    const sip: ProbeTransport = {
      request: (_uri, _opts, cb) => {
        const handlers: Array<(res: { status: number }) => void> = [];
        const sent: SentProbe = { on: (_event, h) => void handlers.push(h) };
        cb(null, sent);
        // The answer is read after the probe's timeout is due (timers before I/O after a stall).
        setTimeout(() => handlers.forEach((h) => h({ status: 200 })), answerMs);
        busy(stallMs);
      },
    };
    const prober = new Prober(sip, {
      probe: (_id, r) => void results.push(r),
      probeRound: () => {
        prober.stop();
        clearInterval(alive);
        resolve(results);
      },
    }, createLogger({ destination: { write: () => undefined } }));
    prober.sync({ carriers: [{ id: 'a', enabled: true, probe: { ...PROBE_DEFAULTS, intervalMs: 60_000, timeoutMs: 100, burst: 1 }, target: { scheme: 'sip', host: '127.0.0.1', port: 5060, transport: 'udp' } }] });
  });
}

t.test('the edge stalls 600 ms right after sending: the answer behind the stall counts, the probe is not lost', async (t) => {
  const [r] = await probeOnce(150, 600);
  t.equal(r?.kind, 'alive', `probe result: ${JSON.stringify(r)}`);
});

t.test('no stall, no answer within the timeout: lost as before', async (t) => {
  const [r] = await probeOnce(400, 0);
  t.equal(r?.kind, 'lost');
});
