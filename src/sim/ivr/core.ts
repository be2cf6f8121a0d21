/** What every IVR call shares: the SIP socket, timers, client transactions, RTP ports, the drop PRNG. */
import type { Logger } from 'pino';
import type { SipResponse } from '../../sip/message';
import type { Random } from '../prng';
import type { PortAllocator } from '../rtp/ports';
import type { SimTimings, TimerSet } from '../timers';
import type { SipSocket } from './sip-socket';

export interface IvrCore {
  readonly log: Logger;
  readonly timers: TimerSet;
  readonly timings: SimTimings;
  readonly sip: SipSocket;
  /** Every request goes here (the IVR's outbound proxy: trunkwise, or a carrier directly). */
  readonly target: { address: string; port: number };
  readonly localAddress: string;
  readonly ports: PortAllocator;
  /** Seeded: which RTP packets the IVR drops. */
  readonly random: Random;
  readonly rtpDropPercent: number;
  /** Client transactions by `branch|METHOD` (a CANCEL shares its INVITE's branch). */
  readonly txns: Map<string, (res: SipResponse) => void>;
  /** Rings this long at most before the IVR cancels, unless the call says otherwise. */
  readonly ringTimeoutMs: number;
}

/** `host` as it goes into a SIP URI or Via (IPv6 in brackets). */
export const uriHost = (h: string): string => (h.includes(':') ? `[${h}]` : h);
