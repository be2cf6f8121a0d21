/**
 * The running configuration and its reload (SIGHUP or the admin API): a new config replaces the old
 * one whole, or — when any file is invalid — not at all, and the errors name file, path and fix.
 */
import { loadConfig } from '../config/load';
import { formatConfigErrors } from '../config/format';
import type { ConfigError, TrunkwiseConfig } from '../config/types';
import type { Logger } from '../observability/logger';
import { ERRORS } from '../config/errors';

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

  /** Never throws: any failure (an invalid file, an exception while loading) keeps the running config. */
  reload(): ReloadResult {
    let r: ReturnType<typeof loadConfig>;
    try {
      r = loadConfig({ ...this.files, env: process.env });
    } catch (err) {
      const e: ConfigError = {
        file: this.files.carriersFile, path: '', message: `${ERRORS.E_CONFIG_INVALID.message}: ${(err as Error).message}`,
        fix: `check ${this.files.carriersFile} and ${this.files.routesDir}/ (the loader failed unexpectedly; the message says where)`,
      };
      r = { ok: false, errors: [e] };
    }
    if (!r.ok) {
      const message = formatConfigErrors(r.errors);
      this.logger.error({ code: 'E_CONFIG_INVALID', errors: r.errors }, 'configuration reload refused; the running configuration stays in force');
      return { ok: false, errors: r.errors, message };
    }
    this.current = r.config;
    for (const fn of this.listeners) {
      try {
        fn(r.config);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'a component did not take the reloaded configuration');
      }
    }
    this.logger.info({ carriers: r.config.carriers.length, routes: r.config.routes.length }, 'configuration reloaded');
    return { ok: true, carriers: r.config.carriers.length, routes: r.config.routes.length };
  }
}
