/**
 * The one logger factory (STYLE.md 9): pino, JSON lines, credentials redacted wherever they appear.
 * Per-call child loggers are bound at the start of the call pipeline with callId / route / carrier.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out before a line is written: secrets never reach logs. */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'secret', '*.secret', '*.*.secret', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', 'headers["proxy-authorization"]',
  'credentials', '*.credentials',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read JSON lines back. */
  destination?: pino.DestinationStream;
}

/**
 * The default destination (stdout, asynchronous) gathers lines and writes them together: once 4 KiB
 * are waiting, and at the latest LOG_FLUSH_MS after a line was logged — not one write(2) and one
 * thread-pool round trip per line. At 400 calls/s one CDR line per call made log writing 2.7 % of
 * the main thread's busy time in the CPU profile (bench/results/profile.md). What is still waiting
 * when the process exits (process.exit, a fatal error) is written synchronously on the way out
 * (pino's exit hook); only a SIGKILL can lose the last LOG_FLUSH_MS of lines.
 */
export const LOG_FLUSH_MS = 200;
export const LOG_BATCH_BYTES = 4096;

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { app: 'trunkwise' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.destination ?? pino.destination({ sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}
