/** Human-readable rendering of config errors, for the terminal at start-up and the reload log line. */
import type { ConfigError } from './types';

/**
 * One block per error:
 *   carriers.yaml:14 carriers[2].uri: transport "tls" is not supported
 *     fix: expected one of udp|tcp
 */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  const head = `configuration invalid: ${errors.length} error${errors.length === 1 ? '' : 's'}`;
  const lines = errors.map((e) => {
    const where = `${e.file}${e.line !== undefined ? `:${e.line}` : ''}${e.path ? ` ${e.path}` : ''}`;
    return `  ${where}: ${e.message}\n    fix: ${e.fix}`;
  });
  return [head, ...lines].join('\n');
}
