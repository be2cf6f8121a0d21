/** Real RTP for the simulator: the carrier-side media factory and the pieces the IVR reuses. */
export { rtpMedia, DEFAULT_CARRIER_RTP_PORTS, type RtpMediaOptions } from './factory';
export { PortAllocator, checkRange, pairCount, type PortRange, type PortPair } from './ports';
export { readRtp, writeRtp, RTP_HEADER_BYTES, type RtpHeader } from './packet';
export { RtpSource, PTIME_MS, SAMPLES_PER_PACKET } from './source';
export { Pacer, packetsDue } from './pacer';
export { DelayLine, departureTime } from './delay-line';
export { ReceiveStats, type ReceiveSummary } from './receive-stats';
