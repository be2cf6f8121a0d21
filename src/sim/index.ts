/** The carrier simulator's public surface (tests, `npm run demo`, NOC drills). */
export { startSimulator, type Simulator, type SimulatorOptions } from './simulator';
export type { CarrierSpec, CarrierInfo } from './carrier';
export { DEFAULT_BEHAVIOUR, MODES, RTP_MODES, validatePatch, applyPatch, rtpSettings, type Behaviour, type BehaviourPatch, type Mode, type RtpMode, type PatchResult } from './behaviour';
export type { CarrierStats } from './stats';
export { SimError, type SimErrorCode } from './errors';
export { advertiseOnlyMedia, type MediaEndpoint, type MediaFactory, type MediaLink, type RemoteMedia } from './media';
export { rtpMedia, DEFAULT_CARRIER_RTP_PORTS, type RtpMediaOptions, type PortRange } from './rtp';
export { DEFAULT_TIMINGS, type SimTimings } from './timers';
export { readCarriersFile, carriersFromYaml } from './carriers-file';
export type { ListenTransport } from './transport';
