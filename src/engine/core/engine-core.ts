/**
 * The engine core wired together: the server side, the client side, the engine's own requests and
 * the RFC 4028 session timers that connect them. SipEngine builds one over the real transport and
 * wire server; the engine-core unit tests build one over recording fakes and a FakeClock.
 */
import type { InboundMessage } from '../transport/layer';
import type { WireClient } from '../wire/server';
import { DEFAULT_SESSION_TIMERS, type CoreContext } from './context';
import { ServerSide } from './server-side';
import { ClientSide } from './client-side';
import { SessionTimers } from './session-timer';
import { REASON } from './engine-requests';

export class EngineCore {
  readonly server: ServerSide;
  readonly client: ClientSide;
  readonly sessionTimers: SessionTimers;

  private readonly logger: CoreContext['logger'];

  constructor(private readonly ctx: CoreContext) {
    this.logger = ctx.logger;
    const settings = { ...DEFAULT_SESSION_TIMERS, ...ctx.behaviour.sessionTimers };
    this.sessionTimers = new SessionTimers(ctx.clock, settings, {
      refresh: (d) => this.client.engine.refresh(d),
      expire: (d) => {
        ctx.logger.info({ dialogId: d.id }, 'session timer expired without a refresh: sending BYE');
        this.client.engine.bye(d, REASON.sessionExpired, 'session-expired');
      },
    });
    this.client = new ClientSide(ctx, this.sessionTimers);
    this.server = new ServerSide(ctx, {
      onAckTimeout: (d) => {
        if (ctx.dialogs.get(d.id) !== d) return; // already ended (BYE or CANCEL race)
        ctx.logger.warn({ dialogId: d.id }, 'no ACK for 2xx (timer H): sending BYE');
        this.client.engine.bye(d, REASON.ackTimeout);
      },
    }, this.sessionTimers);
  }

  /**
   * A SIP message from the transport layer. Requests go to the server side, responses to the client
   * side. A bug handling one message must not escape into the socket handler and take the edge down.
   */
  onMessage(m: InboundMessage): void {
    try {
      if (m.message.kind === 'request') this.server.onRequest(m);
      else this.client.onResponse(m);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.stack : String(err), source: m.source }, 'engine core failed on a message');
    }
  }

  /** `sip|…` from an application: a response to a network request, or a request to send. */
  onSip(c: WireClient, msgId: string, txnId: string, dialogId: string, routeUri: string | undefined, sip: string): void {
    if (sip.startsWith('SIP/')) this.server.respondFromApp(c, msgId, txnId, sip);
    else this.client.requestFromApp(c, msgId, txnId, dialogId, routeUri, sip);
  }

  onProxy(c: WireClient, msgId: string, txnId: string): void {
    this.server.refuseProxy(c, msgId, txnId);
  }

  onClientGone(c: WireClient): void {
    this.server.onClientGone(c);
    if (this.ctx.behaviour.endCallsOfGoneApp) this.client.endCallsOf(c);
  }
}
