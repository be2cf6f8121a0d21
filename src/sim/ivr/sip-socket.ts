/** The IVR's one SIP socket (UDP): datagrams parsed with the engine's parser and handed up; junk dropped. */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import { parseMessage } from '../../sip/parser';

export interface SipSocketHandlers {
  onResponse(res: SipResponse): void;
  onRequest(req: SipRequest, source: Target): void;
}

export class SipSocket {
  private closed = false;

  private constructor(private readonly sock: dgram.Socket, readonly address: string, readonly port: number, private readonly log: Logger) {}

  static open(address: string, port: number, handlers: SipSocketHandlers, log: Logger): Promise<SipSocket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
      sock.once('error', (err) => {
        try { sock.close(); } catch { /* never bound */ }
        reject(err);
      });
      sock.bind(port, address, () => {
        sock.removeAllListeners('error');
        sock.on('error', (err) => log.warn({ err }, 'IVR SIP socket error'));
        sock.on('message', (data, rinfo) => {
          const parsed = parseMessage(data);
          if (!parsed.ok) return log.debug({ error: parsed.error }, 'unparsable SIP datagram dropped');
          const m = parsed.message;
          try {
            if (m.kind === 'response') handlers.onResponse(m);
            else handlers.onRequest(m, { protocol: 'udp', address: rinfo.address, port: rinfo.port });
          } catch (err) {
            log.error({ err }, 'IVR handler failed');
          }
        });
        resolve(new SipSocket(sock, address, sock.address().port, log));
      });
    });
  }

  send(bytes: Buffer, to: { address: string; port: number }): void {
    if (this.closed) return;
    this.sock.send(bytes, to.port, to.address, (err) => {
      if (err) this.log.debug({ err, to }, 'SIP send failed');
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}
