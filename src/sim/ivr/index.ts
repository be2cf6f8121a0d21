/**
 * startIvr(): an IVR platform that places alarm calls and plays RTP into them, for tests and load
 * runs against trunkwise (or a simulated carrier directly). One UDP SIP socket for every call, one
 * RTP port pair per call; every request is sent to `target`. stop() ends calls in progress (no BYE)
 * and leaves no socket or timer behind.
 */
import pino, { type Logger } from 'pino';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { buildResponse } from '../../sip/response-builder';
import { generateTag, getBranch, getCallId, getCSeq } from '../../sip/headers';
import { serializeMessage } from '../../sip/serializer';
import { parseHostPort } from '../cli-args';
import { seededRandom } from '../prng';
import { PortAllocator, type PortRange } from '../rtp/ports';
import { DEFAULT_TIMINGS, TimerSet, type SimTimings } from '../timers';
import { IvrCall, type IvrCallOptions, type IvrCallResult } from './call';
import type { IvrCore } from './core';
import { RtpLeg } from './rtp-leg';
import { SipSocket } from './sip-socket';

export type { IvrCallOptions, IvrCallResult, IvrEndReason } from './call';

export interface IvrOptions {
  /** `host:port` of the SIP peer (trunkwise, or a carrier). */
  target: string;
  /** Address to bind SIP and RTP on, and to advertise. */
  localAddress: string;
  /** SIP port; default 0 (ephemeral). */
  sipPort?: number;
  /** Percentage (0–100) of its own RTP packets the IVR drops before sending. Default 0. */
  rtpDropPercent?: number;
  /** Seed of the drop PRNG. Default random. */
  seed?: number;
  /** RTP/RTCP port pairs; default 26000–29999. */
  rtpPorts?: PortRange;
  /** A call still ringing after this long is CANCELled (per call: cancelAfterMs). Default 120 s. */
  ringTimeoutMs?: number;
  /** RFC 3261 timers (tests shorten them). */
  timings?: Partial<SimTimings>;
  logger?: Logger;
}

export interface Ivr {
  /** SIP port the IVR listens and sends on. */
  readonly sipPort: number;
  call(opts: IvrCallOptions): Promise<IvrCallResult>;
  /** Calls not finished yet. */
  readonly active: number;
  /** UDP ports (RTP + RTCP) the IVR's calls hold right now. */
  readonly rtpPortsInUse: number;
  stop(): Promise<void>;
}

export const DEFAULT_IVR_RTP_PORTS: Readonly<PortRange> = Object.freeze({ min: 26_000, max: 29_999 });

export async function startIvr(opts: IvrOptions): Promise<Ivr> {
  const hp = parseHostPort(opts.target);
  if (!hp) throw new Error(`target "${opts.target}" is not HOST:PORT`);
  const target = { address: hp.host, port: hp.port };
  const drop = opts.rtpDropPercent ?? 0;
  if (!(drop >= 0 && drop <= 100)) throw new Error(`rtpDropPercent ${drop} is out of range 0–100`);
  const log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'ivr' });
  const calls = new Map<string, IvrCall>();
  const txns = new Map<string, (res: SipResponse) => void>();
  const timers = new TimerSet();
  let stopped = false;

  const onResponse = (res: SipResponse): void => {
    const branch = getBranch(res);
    const method = getCSeq(res)?.method;
    if (branch !== undefined && method !== undefined) txns.get(`${branch}|${method}`)?.(res);
  };
  const onRequest = (req: SipRequest, source: Target): void => {
    const call = calls.get(getCallId(req) ?? '');
    if (call) return call.onRequest(req, source);
    if (req.method === 'ACK') return;
    const status = req.method === 'OPTIONS' ? 200 : ['BYE', 'CANCEL', 'UPDATE', 'INFO'].includes(req.method) || req.method === 'INVITE' ? 481 : 405;
    // An INVITE for no call of ours: 481 if it claims a dialog, else we take no calls.
    const finalStatus = req.method === 'INVITE' && !/;\s*tag=/i.test(req.headers.get('to') ?? '') ? 603 : status;
    sip.send(serializeMessage(buildResponse(req, finalStatus, undefined, { toTag: generateTag() })), source);
  };
  const sip = await SipSocket.open(opts.localAddress, opts.sipPort ?? 0, { onResponse, onRequest }, log);
  const core: IvrCore = {
    log, timers, timings: { ...DEFAULT_TIMINGS, ...opts.timings }, sip, target, localAddress: opts.localAddress,
    ports: new PortAllocator(opts.localAddress, opts.rtpPorts ?? DEFAULT_IVR_RTP_PORTS),
    random: seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 31)), rtpDropPercent: drop, txns,
    ringTimeoutMs: opts.ringTimeoutMs ?? 120_000,
  };
  log.info({ sipPort: sip.port, target: opts.target }, 'IVR ready');

  return {
    sipPort: sip.port,
    get active() {
      let n = 0;
      for (const c of calls.values()) if (c.callState !== 'done') n++;
      return n;
    },
    get rtpPortsInUse() {
      return 2 * core.ports.inUse;
    },
    call: async (o) => {
      if (stopped) throw new Error('IVR stopped');
      if (!(Number.isFinite(o.holdMs) && o.holdMs >= 0)) throw new Error(`holdMs ${o.holdMs} must be ≥ 0`);
      const leg = await RtpLeg.open(core.ports, core.random, drop, log);
      if (stopped) {
        await leg.close();
        throw new Error('IVR stopped');
      }
      const call = new IvrCall(core, leg, o);
      calls.set(call.id.callId, call);
      call.start();
      const result = await call.done;
      // Keep answering in-dialog retransmissions (a BYE whose 200 was lost) for a while.
      timers.after(Math.min(core.timings.tMax, 32_000), () => calls.delete(call.id.callId));
      log.debug({ result }, 'call done');
      return result;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const live = [...calls.values()];
      for (const c of live) c.abort();
      await Promise.all(live.map((c) => c.done));
      timers.clearAll();
      txns.clear();
      calls.clear();
      await sip.close();
    },
  };
}
