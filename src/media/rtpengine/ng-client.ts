/**
 * The ng control channel to one rtpengine daemon (bencode over UDP, via `rtpengine-client`), typed
 * and bounded: every command resolves with the reply dictionary or rejects with an RtpengineError
 * within `timeoutMs`. A reply with `result: error` rejects (E_RTPENGINE_REFUSED).
 *
 * After a timeout the daemon is considered unreachable for `backoffMs`: `unreachable()` says so and
 * the anchor refuses new sessions at once instead of making every alarm call wait `timeoutMs`
 * before falling back to direct media. Any reply clears it.
 */
import { Client, type NgDict } from 'rtpengine-client';
import type { Logger } from '../../observability/logger';
import { RtpengineError } from './errors';

export type { NgDict, NgValue } from 'rtpengine-client';

export type NgCommand = 'ping' | 'offer' | 'answer' | 'delete' | 'query' | 'list';

export interface NgClientOptions {
  host: string;
  port: number;
  /** Reply timeout per command, ms (default 1000). */
  timeoutMs?: number;
  /** How long a timeout marks the daemon unreachable, ms (default 5000). */
  backoffMs?: number;
  /** Local address of the control socket (default: any). */
  localAddress?: string;
  logger?: Logger;
}

export class NgClient {
  readonly host: string;
  readonly port: number;
  private readonly client: Client;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private timedOutAt: number | undefined;
  private closed = false;

  constructor(opts: NgClientOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.backoffMs = opts.backoffMs ?? 5000;
    const copts: ConstructorParameters<typeof Client>[0] = { timeout: this.timeoutMs };
    if (opts.localAddress) copts.localAddress = opts.localAddress;
    this.client = new Client(copts);
    // The package emits 'error' for socket errors and for replies that arrive after their timeout;
    // unhandled, an 'error' event would end the process.
    this.client.on('error', (err: Error) => opts.logger?.warn({ err: err.message, rtpengine: `${this.host}:${this.port}` }, 'rtpengine control socket error'));
  }

  /** True while a recent timeout says the daemon is not answering. */
  unreachable(now = Date.now()): boolean {
    return this.timedOutAt !== undefined && now - this.timedOutAt < this.backoffMs;
  }

  async command(name: NgCommand, params: NgDict = {}): Promise<NgDict> {
    if (this.closed) throw new RtpengineError('E_RTPENGINE_CLOSED', `ng client for ${this.host}:${this.port}`);
    let reply: NgDict;
    try {
      reply = name === 'ping' ? await this.client.ping(this.port, this.host) : await this.client[name](this.port, this.host, params);
    } catch (err) {
      this.timedOutAt = Date.now();
      throw new RtpengineError('E_RTPENGINE_TIMEOUT', `${name} to ${this.host}:${this.port} (${this.timeoutMs} ms): ${(err as Error).message}`);
    }
    this.timedOutAt = undefined;
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) throw new RtpengineError('E_RTPENGINE_REPLY', `${name}: not a dictionary`);
    if (reply.result === 'error') {
      const reason = typeof reply['error-reason'] === 'string' ? reply['error-reason'] : 'no reason given';
      throw new RtpengineError('E_RTPENGINE_REFUSED', `${name}: ${reason}`);
    }
    return reply;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
