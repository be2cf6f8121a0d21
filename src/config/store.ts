/**
 * Holds the current config and swaps it whole on reload (SIGHUP): the new files are loaded and
 * validated first; only a fully valid config replaces the old one. Calls already routed keep the
 * frozen config they started with.
 */
import { loadConfig } from './load';
import type { ConfigError, LoadOptions, TrunkwiseConfig } from './types';

export interface ConfigStore {
  current(): TrunkwiseConfig;
  /** Loads again; on errors the current config stays and the errors are returned. */
  reload(opts: LoadOptions): { ok: true; config: TrunkwiseConfig } | { ok: false; errors: ConfigError[] };
}

export function createConfigStore(initial: TrunkwiseConfig, load: (opts: LoadOptions) => ReturnType<typeof loadConfig> = loadConfig): ConfigStore {
  let cfg = initial;
  return {
    current: () => cfg,
    reload(opts) {
      const r = load(opts);
      if (r.ok) cfg = r.config;
      return r;
    },
  };
}
