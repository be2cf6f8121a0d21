/**
 * The running configuration and its reload (SIGHUP or the admin API): a new config replaces the old
 * one whole, or — when any file is invalid — not at all, and the errors name file, path and fix.
 */
import { loadConfig } from '../config/load';
import { formatConfigErrors } from '../config/format';
import type { ConfigError, TrunkwiseConfig } from '../config/types';
import type { Logger } from '../observability/logger';

export type ReloadResult = { ok: true; carriers: number; routes: number } | { ok: false; errors: ConfigError[]; message: string };

export class ConfigHolder {
  private current: TrunkwiseConfig;
  private readonly listeners: Array<(c: TrunkwiseConfig) => void> = [];

  private constructor(initial: TrunkwiseConfig, private readonly files: { carriersFile: string; routesDir: string }, private readonly logger: Logger) {
    this.current = initial;
  }

  /** Load at start: an invalid configuration is fatal here (there is nothing to keep running). */
  static load(files: { carriersFile: string; routesDir: string }, logger: Logger): ConfigHolder {
    const r = loadConfig({ ...files, env: process.env });
    if (!r.ok) throw new Error(`configuration refused:\n${formatConfigErrors(r.errors)}`);
    return new ConfigHolder(r.config, files, logger);
  }

  get config(): TrunkwiseConfig {
    return this.current;
  }

  onChange(fn: (c: TrunkwiseConfig) => void): void {
    this.listeners.push(fn);
  }

  reload(): ReloadResult {
    const r = loadConfig({ ...this.files, env: process.env });
    if (!r.ok) {
      const message = formatConfigErrors(r.errors);
      this.logger.error({ errors: r.errors }, 'configuration reload refused; the running configuration stays in force');
      return { ok: false, errors: r.errors, message };
    }
    this.current = r.config;
    for (const fn of this.listeners) fn(r.config);
    this.logger.info({ carriers: r.config.carriers.length, routes: r.config.routes.length }, 'configuration reloaded');
    return { ok: true, carriers: r.config.carriers.length, routes: r.config.routes.length };
  }
}
