/**
 * `npm run ivr -- --target 127.0.0.1:5060 --calls 20 --concurrent 20 --hold-ms 10000 --rtp-drop 5`:
 * places the calls, at most --concurrent at a time, and prints a JSON summary on stdout. Exit code 0
 * when every call was answered, 1 otherwise, 2 on bad arguments. SIGINT/SIGTERM stop early.
 */
import pino from 'pino';
import { parseIvrArgs, IVR_USAGE } from './cli-args';
import { startIvr, type IvrCallResult } from './index';
import { summarise } from './summary';

async function main(): Promise<number> {
  const parsed = parseIvrArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.errors.join('\n')}\n${IVR_USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  if (o.help) {
    process.stdout.write(`${IVR_USAGE}\n`);
    return 0;
  }
  const logger = pino({ level: o.logLevel }, pino.destination(2));
  const ivr = await startIvr({ target: o.target, localAddress: o.localAddress, rtpDropPercent: o.rtpDrop, logger, ...(o.seed !== undefined && { seed: o.seed }) });
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    void ivr.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  const results: IvrCallResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.calls && !interrupted) {
      next++;
      if (o.intervalMs > 0) await new Promise((r) => setTimeout(r, o.intervalMs));
      try {
        results.push(await ivr.call({ to: o.to, holdMs: o.holdMs }));
      } catch (err) {
        if (!interrupted) logger.error({ err }, 'call could not be placed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrent, o.calls) }, worker));
  await ivr.stop();
  const summary = { target: o.target, durationMs: Date.now() - started, interrupted, ...summarise(results), ...(o.perCall && { results }) };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return results.length === o.calls && results.every((r) => r.status >= 200 && r.status < 300) ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 100).unref();
});
