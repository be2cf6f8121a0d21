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

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { app: 'trunkwise' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
