/**
 * drachtio CDR events (cdr:attempt / cdr:start / cdr:stop), sent to every application that routed
 * them. Reasons follow drachtio-server's Cdr enum names.
 */
import type { WireServer } from '../wire/server';

type CdrWire = Pick<WireServer, 'clientsFor'>;
import { cdrEvent, wireTime } from '../wire/protocol';

export type CdrStopReason = 'call-rejected' | 'call-canceled' | 'normal-release' | 'session-expired' | 'ack-timeout' | 'system-error';

export class CdrEmitter {
  constructor(private readonly wire: CdrWire, private readonly enabled: () => boolean) {}

  attempt(source: 'network' | 'application', sip: string): void {
    this.emit('attempt', source, undefined, sip);
  }

  start(source: 'network' | 'application', role: 'uac' | 'uas', sip: string): void {
    this.emit('start', source, role, sip);
  }

  stop(source: 'network' | 'application', reason: CdrStopReason, sip: string): void {
    this.emit('stop', source, reason, sip);
  }

  private emit(kind: 'attempt' | 'start' | 'stop', source: string, extra: string | undefined, sip: string): void {
    if (!this.enabled()) return;
    const clients = this.wire.clientsFor(`cdr:${kind}`);
    if (clients.length === 0) return;
    const payload = cdrEvent(kind, source, wireTime(), extra, sip);
    for (const c of clients) c.send(payload);
  }
}
