/**
 * A bare drachtio wire-protocol client: what drachtio-srf sends, frame by frame, for tests that must
 * see the exact answer text (e.g. the NOK to an ACK for a non-2xx) which srf swallows. Works against
 * the embedded engine and a real drachtio-server alike.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { WireDecoder, encodeFrame } from '../../src/engine/wire/framing';

export interface SipFrame {
  tokens: string[];
  sip: string;
  /** token 8: transaction id; token 9: dialog id (drachtio-agent's positions). */
  txnId: string;
  dialogId: string;
}

export class WireTestClient {
  private readonly decoder = new WireDecoder();
  private readonly pending = new Map<string, (tokens: string[], sip: string) => void>();
  readonly sipFrames: SipFrame[] = [];
  private sipWaiters: Array<{ match: (f: SipFrame) => boolean; resolve: (f: SipFrame) => void }> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) {
        if (f.kind !== 'frame') continue;
        const cr = f.payload.indexOf('\r\n');
        const leader = cr === -1 ? f.payload : f.payload.slice(0, cr);
        const sip = cr === -1 ? '' : f.payload.slice(cr + 2);
        const tokens = leader.split('|');
        if (tokens[1] === 'response') this.pending.get(tokens[2] ?? '')?.(tokens.slice(3), sip);
        else if (tokens[1] === 'sip') {
          const frame = { tokens, sip, txnId: tokens[8] ?? '', dialogId: tokens[9] ?? '' };
          this.sipFrames.push(frame);
          this.sipWaiters = this.sipWaiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
        }
      }
    });
    socket.on('error', () => undefined);
  }

  static async connect(o: { host: string; port: number; secret: string }): Promise<WireTestClient> {
    const socket = net.connect(o.port, o.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new WireTestClient(socket);
    const [ok] = await c.command(`authenticate|${o.secret}|`);
    if (ok !== 'OK') throw new Error('authentication refused');
    return c;
  }

  /** Send `<msgId>|<rest>`; resolves with the tokens after `response|<msgId>|` and the SIP text. */
  command(rest: string, timeoutMs = 3000): Promise<[string, string[], string]> {
    const msgId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new Error(`no answer to ${rest.split('\r\n')[0]}`));
      }, timeoutMs);
      this.pending.set(msgId, (tokens, sip) => {
        clearTimeout(timer);
        this.pending.delete(msgId);
        resolve([tokens[0] ?? '', tokens, sip]);
      });
      this.socket.write(encodeFrame(`${msgId}|${rest}`));
    });
  }

  /** `sip|<txnId>|<dialogId>\r\n<SIP>` as srf's agent writes it. */
  sip(txnId: string, dialogId: string, sipText: string): Promise<[string, string[], string]> {
    return this.command(`sip|${txnId}|${dialogId}\r\n${sipText.replace(/\r?\n/g, '\r\n')}`);
  }

  waitSip(match: (f: SipFrame) => boolean, timeoutMs: number): Promise<SipFrame> {
    const seen = this.sipFrames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a sip frame')), timeoutMs);
      this.sipWaiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
