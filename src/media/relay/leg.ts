/**
 * One side of a relayed call: our RTP/RTCP sockets facing it, what its SDP said, what we latched,
 * and where packets toward it go right now. Targets are recomputed when the SDP or a latch changes,
 * never per packet.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { fail, ok, type Result } from '../errors';
import { LATCH_NEW, SourceLatch } from './latch';
import type { PortPair } from './port-pool';

export type LegName = 'a' | 'b';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** A leg's media address from its SDP (mediaTarget() in sdp.ts returns a compatible object). */
export interface RemoteEndpoint {
  address: string;
  rtpPort: number;
  /** Default rtpPort + 1 (RFC 3550 §11). */
  rtcpPort?: number;
  /** a=rtcp with an address (RFC 3605); default `address`. */
  rtcpAddress?: string;
  rtcpMux?: boolean;
  /** The leg's a=sendrecv/sendonly/recvonly/inactive, from its own point of view. Default sendrecv. */
  direction?: MediaDirection;
}

export interface LocalEndpoint {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

/** Where we send toward a leg right now, and why. */
export interface LegView {
  sdp: Readonly<Required<Omit<RemoteEndpoint, 'rtcpAddress'>> & { rtcpAddress: string }> | undefined;
  rtp: { address: string; port: number } | undefined;
  rtcp: { address: string; port: number; mux: boolean } | undefined;
  latched: boolean;
  rtcpLatched: boolean;
  relatches: number;
  /** The leg's SDP is on hold (port 0, c=0.0.0.0 / ::, sendonly or inactive): no RTP toward it. */
  held: boolean;
  sendErrors: number;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

export class Leg {
  readonly rtpLatch: SourceLatch;
  readonly rtcpLatch: SourceLatch;
  sdp: LegView['sdp'];
  // Current send targets (hot path reads these fields directly).
  rtpSendable = false;
  rtpAddress = '';
  rtpPort = 0;
  rtcpSendable = false;
  rtcpAddress = '';
  rtcpPort = 0;
  rtcpViaRtpSocket = false;
  sendErrors = 0;

  constructor(
    readonly name: LegName,
    readonly pair: PortPair,
    private readonly family: 4 | 6,
    relatchMs: number,
    private readonly log: Logger | undefined,
  ) {
    this.rtpLatch = new SourceLatch(relatchMs);
    this.rtcpLatch = new SourceLatch(relatchMs);
  }

  /**
   * Silence from this leg is expected: its SDP says it will not send (recvonly, inactive, port 0,
   * c=0.0.0.0), or it holds the call (sendonly) — sendonly allows sending, it does not promise it
   * (RFC 3264 §5.1), and many phones (baresip among them) send nothing while they hold.
   */
  get quietBySdp(): boolean {
    const s = this.sdp;
    return s !== undefined && (s.rtpPort === 0 || UNSPECIFIED.has(s.address) || s.direction !== 'sendrecv');
  }

  setRemote(remote: RemoteEndpoint): Result<void> {
    const { address, rtpPort } = remote;
    const rtcpPort = remote.rtcpPort ?? (rtpPort === 0 ? 0 : rtpPort + 1);
    const rtcpAddress = remote.rtcpAddress ?? address;
    const fam = net.isIP(address);
    if (!Number.isInteger(rtpPort) || rtpPort < 0 || rtpPort > 65535 || !Number.isInteger(rtcpPort) || rtcpPort < 0 || rtcpPort > 65535) {
      return fail('E_MEDIA_REMOTE_INVALID', `leg ${this.name}: port ${rtpPort}/${rtcpPort}`);
    }
    if (fam === 0 || net.isIP(rtcpAddress) === 0) return fail('E_MEDIA_REMOTE_INVALID', `leg ${this.name}: "${address}" is not an IP address`);
    const holdAddress = UNSPECIFIED.has(address) || rtpPort === 0;
    if (fam !== this.family && !holdAddress) {
      return fail('E_MEDIA_REMOTE_INVALID', `leg ${this.name}: IPv${fam} address ${address} but the relay binds IPv${this.family}`);
    }
    const next = { address, rtpPort, rtcpPort, rtcpAddress, rtcpMux: remote.rtcpMux ?? false, direction: remote.direction ?? 'sendrecv' };
    const prev = this.sdp;
    const moved = !prev || prev.address !== next.address || prev.rtpPort !== next.rtpPort || prev.rtcpPort !== next.rtcpPort
      || prev.rtcpAddress !== next.rtcpAddress || prev.rtcpMux !== next.rtcpMux;
    this.sdp = next;
    if (moved && prev) {
      // A new SDP address is a new far end (re-INVITE, transfer, unhold): latch again from scratch.
      this.rtpLatch.reset();
      this.rtcpLatch.reset();
      this.log?.debug({ leg: this.name, from: `${prev.address}:${prev.rtpPort}`, to: `${address}:${rtpPort}`, direction: next.direction }, 'media remote changed');
    }
    this.retarget();
    return ok(undefined);
  }

  /** After a packet from this leg was accepted by one of its latches. */
  onLatch(result: number, which: 'rtp' | 'rtcp'): void {
    if (result !== LATCH_NEW) return;
    const latch = which === 'rtp' ? this.rtpLatch : this.rtcpLatch;
    if (latch.relatches > 0) this.log?.info({ leg: this.name, which, source: `${latch.address}:${latch.port}` }, 'media source re-latched');
    this.retarget();
  }

  view(): LegView {
    return {
      sdp: this.sdp,
      rtp: this.rtpSendable ? { address: this.rtpAddress, port: this.rtpPort } : undefined,
      rtcp: this.rtcpSendable ? { address: this.rtcpAddress, port: this.rtcpPort, mux: this.rtcpViaRtpSocket } : undefined,
      latched: this.rtpLatch.latched,
      rtcpLatched: this.rtcpLatch.latched,
      relatches: this.rtpLatch.relatches + this.rtcpLatch.relatches,
      held: this.sdp !== undefined && !this.rtpSendable,
      sendErrors: this.sendErrors,
    };
  }

  private retarget(): void {
    const s = this.sdp;
    const rtpL = this.rtpLatch;
    const usable = s !== undefined && s.rtpPort !== 0 && !UNSPECIFIED.has(s.address);
    // Before any SDP the far end is unknown: nothing is sent toward it, even if it has sent to us.
    if (!usable || !s) {
      this.rtpSendable = false;
      this.rtcpSendable = false;
      return;
    }
    this.rtpAddress = rtpL.latched ? rtpL.address : s.address;
    this.rtpPort = rtpL.latched ? rtpL.port : s.rtpPort;
    this.rtpSendable = s.direction === 'sendrecv' || s.direction === 'recvonly';
    // RTCP still flows on a held (sendonly / inactive) stream (RFC 3264 §5.1); not to port 0 / 0.0.0.0.
    this.rtcpSendable = true;
    this.rtcpViaRtpSocket = s.rtcpMux;
    if (s.rtcpMux) {
      this.rtcpAddress = this.rtpAddress;
      this.rtcpPort = this.rtpPort;
    } else if (this.rtcpLatch.latched) {
      this.rtcpAddress = this.rtcpLatch.address;
      this.rtcpPort = this.rtcpLatch.port;
    } else if (rtpL.latched && (rtpL.address !== s.address || rtpL.port !== s.rtpPort)) {
      // RTP came from elsewhere than the SDP said (NAT): guess RTCP at the latched port + 1.
      this.rtcpAddress = rtpL.address;
      this.rtcpPort = rtpL.port + 1;
    } else {
      this.rtcpAddress = s.rtcpAddress;
      this.rtcpPort = s.rtcpPort;
    }
  }
}
