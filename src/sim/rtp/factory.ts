/**
 * rtpMedia(): the simulator's default media factory. Calls whose carrier has `rtp: off` only get an
 * advertised port (no socket, as before RTP existed); `echo` and `send` calls get a real port pair.
 */
import { advertiseOnlyMedia, type MediaFactory } from '../media';
import { CarrierRtpEndpoint } from './endpoint';
import { PortAllocator, type PortRange } from './ports';

export interface RtpMediaOptions {
  /** Address to bind and advertise. Default 127.0.0.1. */
  address?: string;
  /** Default 22000–25999: below Linux's ephemeral range and apart from the IVR's 26000–29999. */
  ports?: PortRange;
}

export const DEFAULT_CARRIER_RTP_PORTS: Readonly<PortRange> = Object.freeze({ min: 22_000, max: 25_999 });

export function rtpMedia(opts: RtpMediaOptions = {}): MediaFactory {
  const address = opts.address ?? '127.0.0.1';
  const allocator = new PortAllocator(address, opts.ports ?? DEFAULT_CARRIER_RTP_PORTS);
  const advertise = advertiseOnlyMedia(address);
  return {
    open: (callId, carrierId, link) => (link.mode === 'off' ? advertise.open(callId, carrierId, link) : new CarrierRtpEndpoint(address, link, allocator)),
  };
}
