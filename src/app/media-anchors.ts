/**
 * The media anchors the routes can ask for, built from the process settings: the embedded relay
 * (`relay`, started with the edge), rtpengine (`rtpengine`: an external daemon at --rtpengine
 * host:port, or one started here on first use when --rtpengine is `embedded`), and `direct`.
 */
import type { MediaMode } from '../config/types';
import type { CallMediaSession, MediaAnchor } from '../call/media-port';
import type { Logger } from '../observability/logger';
import { directAnchor } from '../media/direct';
import { MediaRelay } from '../media/relay/relay';
import { RelayAnchor } from '../media/relay-anchor';
import { RtpengineAnchor, startRtpengine, type RtpengineProcess } from '../media/rtpengine';

export interface MediaSettings {
  /** Relay bind address, advertised address (NAT) and RTP port range. */
  bindAddress: string;
  advertisedAddress: string;
  portRange: { min: number; max: number };
  /** `embedded` = start rtpengine on first use; `off`; or an external daemon's ng address. */
  rtpengine: 'embedded' | 'off' | { host: string; port: number };
}

export class MediaAnchors {
  readonly relay: MediaRelay;
  private readonly relayAnchor: RelayAnchor;
  /** Opens rtpengine sessions, starting (or reconnecting to) rtpengine on first use. */
  private readonly rtpengineLazy: MediaAnchor = { open: async (callId, fromTag): Promise<CallMediaSession> => (await this.rtpengineAnchor()).open(callId, fromTag) };
  private rtpengine: Promise<RtpengineAnchor> | undefined;
  private process: RtpengineProcess | undefined;

  constructor(private readonly settings: MediaSettings, private readonly logger: Logger) {
    this.relay = new MediaRelay({ bindAddress: settings.bindAddress, advertisedAddress: settings.advertisedAddress, portRange: settings.portRange, logger });
    this.relay.onInactive = (s, direction, silentMs) => {
      if (silentMs > 0) logger.warn({ callId: s.callId, carrier: s.carrier, direction, silentMs }, 'media inactive: no RTP');
      else logger.info({ callId: s.callId, carrier: s.carrier, direction }, 'media resumed');
    };
    this.relayAnchor = new RelayAnchor(this.relay);
  }

  anchor(mode: MediaMode): MediaAnchor {
    if (mode === 'relay') return this.relayAnchor;
    if (mode === 'rtpengine') return this.rtpengineLazy;
    return directAnchor;
  }

  async stop(): Promise<void> {
    await this.relay.close();
    const a = await this.rtpengine?.catch(() => undefined);
    a?.close();
    await this.process?.stop();
  }

  private rtpengineAnchor(): Promise<RtpengineAnchor> {
    const cfg = this.settings.rtpengine;
    if (cfg === 'off') return Promise.reject(new Error('a route asks for rtpengine media but --rtpengine is off'));
    this.rtpengine ??= (async () => {
      let target = cfg === 'embedded' ? undefined : cfg;
      if (!target) {
        this.process = await startRtpengine({ address: this.settings.bindAddress });
        target = { host: this.process.host, port: this.process.ngPort };
        this.logger.info({ ng: target, pid: this.process.pid }, 'rtpengine started for rtpengine-mode routes');
      }
      return new RtpengineAnchor({ ...target, logger: this.logger });
    })();
    // A failed start is retried on the next call rather than remembered forever.
    this.rtpengine.catch(() => (this.rtpengine = undefined));
    return this.rtpengine;
  }
}
