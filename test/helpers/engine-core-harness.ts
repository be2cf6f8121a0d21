/**
 * The engine core (EngineCore: server side, client side, engine requests, session timers) wired to a
 * recording transport, recording wire clients and a FakeClock — so request/response handling, dialogs
 * and every RFC timer can be driven message by message and checked exactly, without sockets.
 * The integration tests cover the same paths over real sockets; these pin the details.
 */
import { FakeClock } from '../../src/engine/transaction/clock';
import { DEFAULT_TIMERS, type TimerConfig } from '../../src/engine/transaction/types';
import { DialogStore } from '../../src/engine/dialog/dialog';
import { silentLogger, type EngineLogger } from '../../src/engine/logger';
import { CdrEmitter } from '../../src/engine/core/cdr';
import { EngineCore } from '../../src/engine/core/engine-core';
import type { CoreContext, CoreTransport, CoreWire, EngineBehaviour } from '../../src/engine/core/context';
import type { LocalPoint } from '../../src/engine/transport/layer';
import type { WireClient } from '../../src/engine/wire/server';
import { parseMessage } from '../../src/sip/parser';
import type { SipMessage, SipRequest, SipResponse, Target } from '../../src/sip/message';

export const LOCAL_UDP: LocalPoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
export const LOCAL_TCP: LocalPoint = { protocol: 'tcp', address: '127.0.0.1', port: 5060 };
export const PEER: Target = { protocol: 'udp', address: '127.0.0.2', port: 5070 };
export const CARRIER: Target = { protocol: 'udp', address: '127.0.0.3', port: 5080 };

export interface SentMessage {
  msg: SipMessage;
  target: Target;
  at: number;
}

/** A frame the engine sent to an app: `<id>|<type>|…` split, plus the SIP text after CRLF. */
export interface AppFrame {
  type: string;
  tokens: string[];
  sip: string;
  message: SipMessage | undefined;
}

export class FakeApp implements WireClient {
  readonly id: string;
  readonly remote = 'test';
  readonly tags = new Set<string>();
  alive = true;
  readonly frames: AppFrame[] = [];
  private n = 0;

  constructor(name: string) {
    this.id = name;
  }

  send(payload: string): void {
    const cr = payload.indexOf('\r\n');
    const leader = cr === -1 ? payload : payload.slice(0, cr);
    const sip = cr === -1 ? '' : payload.slice(cr + 2);
    const tokens = leader.split('|');
    const parsed = sip ? parseMessage(Buffer.from(sip)) : undefined;
    this.frames.push({ type: tokens[1] ?? '', tokens, sip, message: parsed?.ok ? parsed.message : undefined });
  }

  /** A fresh msgId for a command this app sends. */
  msgId(): string {
    this.n += 1;
    return `${this.id}-m${this.n}`;
  }

  /** Answers (`response|<msgId>|…`) to one of this app's commands. */
  answer(msgId: string): AppFrame | undefined {
    return this.frames.find((f) => f.type === 'response' && f.tokens[2] === msgId);
  }

  /** SIP messages delivered to the app (`sip|…` frames). */
  sipFrames(): AppFrame[] {
    return this.frames.filter((f) => f.type === 'sip');
  }

  lastSip(): AppFrame {
    const all = this.sipFrames();
    const last = all[all.length - 1];
    if (!last) throw new Error('the app received no sip frame');
    return last;
  }
}

export interface HarnessOptions {
  timers?: Partial<TimerConfig>;
  behaviour?: Partial<EngineBehaviour>;
  /** Make a send fail (asynchronously reported, as the real transport does). */
  failSend?: (msg: SipMessage, target: Target) => boolean;
  logger?: EngineLogger;
}

export class CoreHarness {
  readonly clock = new FakeClock();
  readonly sent: SentMessage[] = [];
  readonly app = new FakeApp('app');
  readonly routes = new Map<string, FakeApp>();
  readonly ctx: CoreContext;
  readonly core: EngineCore;
  readonly warnings: string[] = [];

  constructor(o: HarnessOptions = {}) {
    const transport: CoreTransport = {
      send: (msg, target, onFail) => {
        this.sent.push({ msg, target, at: this.clock.now() });
        if (o.failSend?.(msg, target)) queueMicrotask(() => onFail?.(new Error('send failed')));
        return 0;
      },
      isReliable: (t) => t.protocol !== 'udp',
      localFor: (p) => (p === 'udp' ? LOCAL_UDP : LOCAL_TCP),
      listeners: () => [LOCAL_UDP, LOCAL_TCP],
    };
    const wire: CoreWire = {
      selectClient: (verb) => {
        const a = this.routes.get(verb);
        return a?.alive ? a : undefined;
      },
      clientsFor: (verb) => {
        const a = this.routes.get(verb);
        return a?.alive ? [a] : [];
      },
    };
    const logger: EngineLogger = o.logger ?? { ...silentLogger, warn: (obj, msg) => void this.warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`) };
    this.ctx = {
      transport, wire, dialogs: new DialogStore(), clock: this.clock, timers: { ...DEFAULT_TIMERS, ...o.timers }, logger,
      behaviour: { userAgentOptionsAutoRespond: undefined, spammers: undefined, userAgent: undefined, cdrs: false, ...o.behaviour },
      cdr: new CdrEmitter(wire, () => this.ctx.behaviour.cdrs),
    };
    this.core = new EngineCore(this.ctx);
    for (const verb of ['invite', 'options', 'bye', 'info', 'update', 'prack', 'message']) this.routes.set(verb, this.app);
  }

  /** A message from the network (text as the peer wrote it). */
  receive(text: string, source: Target = PEER, local: LocalPoint = source.protocol === 'udp' ? LOCAL_UDP : LOCAL_TCP): void {
    const p = parseMessage(Buffer.from(text.replace(/\r?\n/g, '\r\n')));
    if (!p.ok) throw new Error(`harness: unparseable test message: ${p.error}`);
    this.core.onMessage({ message: p.message, source, local, bytes: text.length });
  }

  /** `sip|<txnId>|<dialogId>` from the app; returns the msgId to look its answer up with. */
  appSip(txnId: string, dialogId: string, sip: string, app: FakeApp = this.app, routeUri?: string): string {
    const msgId = app.msgId();
    this.core.onSip(app, msgId, txnId, dialogId, routeUri, sip.replace(/\r?\n/g, '\r\n'));
    return msgId;
  }

  /** Let promise callbacks (DNS-free target resolution, settle()) run. */
  async flush(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }

  sentTo(target: Target): SentMessage[] {
    return this.sent.filter((s) => s.target.address === target.address && s.target.port === target.port);
  }

  responses(status?: number, method?: string): SipResponse[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipResponse => m.kind === 'response'
      && (status === undefined || m.status === status)
      && (method === undefined || new RegExp(`\\s${method}$`).test(m.headers.get('cseq') ?? '')));
  }

  requests(method?: string): SipRequest[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));
  }

  /**
   * The app sends `invite`; the carrier answers it `status` with `o` (a To-tag makes it dialog-forming).
   * Returns how the engine answered the app's INVITE (`OK`/`NOK`) and the dialog id srf was given.
   */
  async uacAnswered(invite: string, status: number, o: Parameters<typeof peerResponse>[2] = {}): Promise<{ sent: string | undefined; dialogId: string }> {
    const inv = this.appSip('', '', invite);
    await this.flush();
    const sent = this.app.answer(inv)?.tokens[3];
    this.receive(peerResponse(this.requests('INVITE').at(-1)!, status, o), CARRIER);
    return { sent, dialogId: this.app.lastSip().tokens[9]! };
  }

  counts(): { dialogs: number; server: number; client: number } {
    return { dialogs: this.ctx.dialogs.size, server: this.core.server.pendingCount, client: this.core.client.pendingCount };
  }
}

let n = 0;
/** A request from the peer (Content-Length computed). */
export function peerRequest(o: {
  method?: string; branch?: string; callId?: string; fromTag?: string; toTag?: string; cseq?: number; uri?: string;
  contact?: string; extra?: string[]; body?: string; via?: string;
}): string {
  n += 1;
  const method = o.method ?? 'INVITE';
  const body = o.body ?? '';
  return [
    `${method} ${o.uri ?? 'sip:svc@127.0.0.1:5060'} SIP/2.0`,
    `Via: ${o.via ?? `SIP/2.0/UDP 127.0.0.2:5070;branch=${o.branch ?? `z9hG4bKh${n}`}`}`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.2>;tag=${o.fromTag ?? 'peertag'}`,
    `To: <sip:svc@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? 'call-1@peer'}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    `Contact: ${o.contact ?? '<sip:peer@127.0.0.2:5070>'}`,
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A response from the far end to a request the engine sent (Via/From/To/Call-ID/CSeq copied). */
export function peerResponse(req: SipRequest, status: number, o: { toTag?: string; extra?: string[]; body?: string; contact?: string; reason?: string } = {}): string {
  const to = req.headers.get('to') ?? '';
  const body = o.body ?? '';
  return [
    `SIP/2.0 ${status} ${o.reason ?? 'X'}`,
    ...req.headers.getAll('via').map((v) => `Via: ${v}`),
    `From: ${req.headers.get('from')}`,
    `To: ${o.toTag && !/;tag=/.test(to) ? `${to};tag=${o.toTag}` : to}`,
    `Call-ID: ${req.headers.get('call-id')}`,
    `CSeq: ${req.headers.get('cseq')}`,
    ...(o.contact ? [`Contact: ${o.contact}`] : []),
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

export const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** The To tag of a message. */
export const toTag = (m: SipMessage): string => /;\s*tag=([^;>\s]+)/.exec(m.headers.get('to') ?? '')?.[1] ?? '';
