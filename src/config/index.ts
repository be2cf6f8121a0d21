/** src/config: load, validate, freeze; the error catalogue. */
export { loadConfig } from './load';
export { formatConfigErrors } from './format';
export { createConfigStore, type ConfigStore } from './store';
export { CredentialStore, type DigestCredentials } from './credentials';
export { ERRORS, TrunkwiseError, sipResponseFor, type ErrorCode, type ErrorSpec } from './errors';
export { parseTrunkUri, PROBE_DEFAULTS } from './carriers';
export { HEALTH_DEFAULTS } from './health';
export { TIMER_DEFAULTS, RETRY_DEFAULTS, DEFAULT_ORDER } from './routes';
export { parseYaml } from './yaml-source';
export { configView, type ConfigView } from './view';
export { deepFreeze } from './freeze';
export type * from './types';
