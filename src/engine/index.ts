/** Public surface of the embedded SIP engine; the application imports nothing else from src/engine. */
export { SipEngine, ENGINE_VERSION } from './core/engine';
export type { EngineOptions, EngineAddresses, EngineStats } from './core/engine';
export { EngineThread, type EngineThreadOptions, type EngineGauges } from './thread/engine-thread';
export type { ListenSpec, TransportLimits, UdpIngress } from './transport/layer';
export { DEFAULT_LIMITS } from './transport/limits';
export { AllowlistError, parseAllowEntry, type AdmissionOptions, type ForeignAction } from './transport/admission';
export type { TransportStats, TcpStats } from './transport/stats';
export { parseDrachtioConfig, parseContact } from './drachtio-config';
export type { EngineLogger } from './logger';
