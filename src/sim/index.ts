/** The carrier simulator's public surface (tests, `npm run demo`, NOC drills). */
export { startSimulator, type Simulator, type SimulatorOptions } from './simulator';
export type { CarrierSpec, CarrierInfo } from './carrier';
export { DEFAULT_BEHAVIOUR, MODES, validatePatch, applyPatch, type Behaviour, type BehaviourPatch, type Mode, type PatchResult } from './behaviour';
export type { CarrierStats } from './stats';
export { SimError, type SimErrorCode } from './errors';
export { advertiseOnlyMedia, type MediaEndpoint, type MediaFactory, type RemoteMedia } from './media';
export { DEFAULT_TIMINGS, type SimTimings } from './timers';
export { readCarriersFile, carriersFromYaml } from './carriers-file';
export type { ListenTransport } from './transport';
